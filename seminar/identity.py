"""Who a student is: the participant their browser joined as, kept in the Django session.

No account and no extra cookie: the session cookie (HttpOnly, SameSite) remembers one
participant per join code, so a reload, a closed tab or a sleeping laptop rejoins as the same
person. Works the same for HTTP requests and websocket scopes.
"""

from seminar.models import Participant, Session

KEY = "seminar_participants"


def participant_for(django_session, session: Session) -> Participant | None:
    participant_id = (django_session.get(KEY) or {}).get(session.code)
    if participant_id is None:
        return None
    return Participant.objects.filter(pk=participant_id, session=session).order_by().first()


def participant_by_code(django_session, code: str) -> Participant | None:
    """The participant this browser joined `code` as, with their session, in one query (the
    room's requests ask this first; a student posting is the busiest request there is)."""
    participant_id = (django_session.get(KEY) or {}).get(code)
    if participant_id is None:
        return None
    return (
        Participant.objects.select_related("session__guide", "session__facilitator")
        .filter(pk=participant_id, session__code=code)
        .order_by()
        .first()
    )


def remember(django_session, participant: Participant) -> None:
    joined = dict(django_session.get(KEY) or {})
    joined[participant.session.code] = participant.pk
    django_session[KEY] = joined


# Moderators: a browser that claimed a moderator link keeps a random device key and, per join
# code, the link it claimed. The link stores the same key, so a copied link (or a copied
# cookie from before the claim) moderates nothing on another device.
DEVICE_KEY = "seminar_device"
MODERATING_KEY = "seminar_moderating"


def device_key(django_session) -> str | None:
    return django_session.get(DEVICE_KEY)


def new_device_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def remember_moderator(django_session, link, key: str) -> None:
    django_session[DEVICE_KEY] = key
    moderating = dict(django_session.get(MODERATING_KEY) or {})
    moderating[link.session.code] = link.pk
    django_session[MODERATING_KEY] = moderating


def moderating(django_session, code: str) -> bool:
    """Whether this browser claimed a moderator link for `code` (without asking the database)."""
    return code in (django_session.get(MODERATING_KEY) or {})


def moderator_for(django_session, session: Session):
    """The moderator link this browser claimed for `session`, revoked or not (the caller
    refuses a revoked one, saying so), or None."""
    from seminar.models import ModeratorLink

    link_id = (django_session.get(MODERATING_KEY) or {}).get(session.code)
    key = device_key(django_session)
    if link_id is None or not key:
        return None
    link = ModeratorLink.objects.filter(pk=link_id, session=session).order_by().first()
    if link is None or link.claimed_at is None or link.device_key != key:
        return None
    return link

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

"""Taking someone's access away closes their open screens at once (issue 25, defect 1).

A co-facilitator removed from sharing used to keep their open console socket (and a moderator
screen), receiving the owner's new notes, newly joined students' names and answers waiting for
review: sockets checked their access only when moderator links changed. Now any change to who
may see a session closes every socket that may no longer see it, with the reason, before the
frame that carried the change: sharing removed, a link revoked, signing out, a new password, a
deactivated account. The change travels on the session's stream, so every worker hears it.
"""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from seminar import services
from tests.live_clients import closed_with_reason, communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "A private note from the owner."


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_screens(session, client) -> list:
    """The co-facilitator's console and moderator screen, both past their snapshot."""
    comms = []
    for path in ("", "moderate/"):
        comm = communicator(f"/ws/facilitate/{session.code}/{path}", client)
        connected, _ = await comm.connect()
        assert connected
        await receive_until(comm, 'id="answers-1"')
        comms.append(comm)
    return comms


async def after_the_change_nothing_leaks(session, owner, comms, reason) -> None:
    def activity():
        services.note_save(session=session, by=owner, step_key="lobby", text=SECRET)
        services.participant_join(session=session, name="Newcomer Nia")

    await database_sync_to_async(activity)()
    for comm in comms:
        seen = await closed_with_reason(comm, reason)
        everything = "".join(seen)
        assert SECRET not in everything and "Newcomer Nia" not in everything
        await comm.disconnect()


@pytest.fixture
def shared(session, facilitator, open_question):
    co = get_user_model().objects.create_user("grace", password="correct-horse-battery")
    services.session_share(session=session, by=facilitator, username="grace")
    return co


async def test_removing_a_co_facilitator_closes_their_console_and_moderator_screen(
    session, facilitator, shared
):
    comms = await open_screens(session, await database_sync_to_async(signed_in)(shared))
    await database_sync_to_async(services.session_share)(
        session=session, by=facilitator, username="grace", shared=False
    )
    await after_the_change_nothing_leaks(session, facilitator, comms, "Not allowed")
    # The owner's own console stays open and follows.
    owner_browser = await database_sync_to_async(signed_in)(facilitator)
    owner = communicator(f"/ws/facilitate/{session.code}/", owner_browser)
    assert (await owner.connect())[0]
    await receive_until(owner, 'id="answers-1"')
    await database_sync_to_async(services.note_save)(
        session=session, by=facilitator, step_key="lobby", text="Still here."
    )
    assert "Still here." in await receive_until(owner, "Still here.")
    await owner.disconnect()


async def test_signing_out_closes_that_browsers_screens_only(session, facilitator, shared):
    browser = await database_sync_to_async(signed_in)(shared)
    other = await database_sync_to_async(signed_in)(shared)
    comms = await open_screens(session, browser)
    (kept, _) = await open_screens(session, other)
    response = await database_sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code == 302
    await after_the_change_nothing_leaks(session, facilitator, comms, "Not allowed")
    assert SECRET in await receive_until(kept, SECRET)  # signed in elsewhere: still theirs
    await kept.disconnect()


@pytest.mark.parametrize("change", ["password", "deactivated"])
async def test_a_new_password_or_a_deactivated_account_closes_every_screen(
    session, facilitator, shared, change
):
    comms = await open_screens(session, await database_sync_to_async(signed_in)(shared))

    def account_change():
        if change == "password":
            shared.set_password("a-brand-new-passphrase")
        else:
            shared.is_active = False
        shared.save()

    await database_sync_to_async(account_change)()
    await after_the_change_nothing_leaks(session, facilitator, comms, "Not allowed")


async def test_a_revoked_moderator_link_still_closes_its_screen(session, facilitator, shared):
    def claim():
        _, token = services.moderator_link_create(session=session, by=facilitator)
        phone = Client()
        assert phone.post(f"/m/{token}").status_code == 302
        return phone, session.moderator_links.get()

    phone, link = await database_sync_to_async(claim)()
    comm = communicator(f"/ws/facilitate/{session.code}/moderate/", phone)
    assert (await comm.connect())[0]
    await receive_until(comm, 'id="answers-1"')
    await database_sync_to_async(services.moderator_link_revoke)(
        session=session, by=facilitator, link_id=link.pk
    )
    await after_the_change_nothing_leaks(session, facilitator, [comm], "was revoked")

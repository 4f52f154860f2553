"""A member's erasure whose answer was lost (the hub stopped between the erasing
transaction's commit and the answer), then sent again: the erasure was made, so the same
request answers it (`termine` true, its `effacement`) every time it is sent within a day
(that answer may be lost too), then is refused as any other (409 or 404). After a
restore the kept answers are not rebuilt: the same request is refused as any other,
never a 500, and tells nothing the first answer did not (the 409's and 404's messages
name no erasure). On both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.errors import AlreadyErased, HubError, NotFound
from hub.journal import RecoveryJournal
from hub.services.ops import recovery
from hub.services.ops.admin import initialise
from hub.services.privacy import erasure, erasure_retries
from tests.integration.test_backup_restore import ERASED, _fiche, _reopen
from tests.integration.world import OWNER, push_and_process

pytestmark = pytest.mark.integration


class Killed(BaseException):
    """The process stopped at this point (nothing after it runs)."""


def _killed(*_args, **_kwargs):
    raise Killed


REQUESTS = {
    "erasure": (lambda hub: erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"}),
                AlreadyErased),
    "removal": (lambda hub: erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1"), NotFound),
}


def _lost(hub, monkeypatch, send) -> str:
    """`send` made its erasure and stopped before answering it: the erasure's id."""
    with monkeypatch.context() as patched:
        patched.setattr(erasure_retries, "told", _killed)  # after the commit
        with pytest.raises(Killed):
            send(hub)
    return [e["id"] for e in RecoveryJournal(hub.settings.key_folder).entries()
            if e["type"] == "erasure"][-1]


@pytest.mark.parametrize("route", sorted(REQUESTS))
def test_an_erasure_whose_answer_was_lost_is_answered_by_the_same_request_for_a_day(
        network, monkeypatch, route):
    hub, clock = network[0], network[1]
    send, refused = REQUESTS[route]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    made = _lost(hub, monkeypatch, send)
    again = send(hub)
    assert (again["effacement"], again["termine"], again["reste"]) == (made, True, None)
    assert send(hub) == again  # that answer lost as well
    clock.advance(hours=25)
    with pytest.raises(refused):
        send(hub)


def _refused_as_any_other(hub, send, refused) -> HubError:
    try:
        send(hub)
    except HubError as error:
        assert isinstance(error, refused), error
        return error
    raise AssertionError("answered as the erasure again")


@pytest.mark.parametrize("route", sorted(REQUESTS))
def test_after_a_restore_the_same_request_is_refused_as_any_other(
        network, tmp_path, monkeypatch, route):
    """The backup taken before the erasure: the restore replays the erasure from the
    recovery journal, not its kept answer."""
    hub = network[0]
    send, refused = REQUESTS[route]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    made = _lost(hub, monkeypatch, send)
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = _reopen(hub)
    try:
        assert erasure.read_erasure(restored, OWNER, made)["fiches_effacees"] == 1  # replayed
        error = _refused_as_any_other(restored, send, refused)
        assert error.status < 500 and made not in str(error.to_dict())
    finally:
        restored.close()


@pytest.mark.parametrize("route", sorted(REQUESTS))
def test_a_kept_answer_in_the_backup_answers_the_erasure_it_was_kept_for(
        network, tmp_path, monkeypatch, route):
    """The backup taken after the lost answer holds it: the restore brings it back with
    the erasure it names, and the same request answers that erasure."""
    hub = network[0]
    send = REQUESTS[route][0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    made = _lost(hub, monkeypatch, send)
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = _reopen(hub)
    try:
        again = send(restored)
        assert (again["effacement"], again["termine"]) == (made, True)
    finally:
        restored.close()


def test_the_answers_kept_more_than_a_day_are_removed_at_start(network, monkeypatch):
    """Kept for the same request again within KEPT_FOR: one never sent again was removed
    by the next erasure through the API only, however long none came; every start
    (`capactif init`, so `serve` and `worker`) removes them too."""
    hub, clock = network[0], network[1]
    push_and_process(hub, _fiche("F-1", ERASED, None), _fiche("F-2", ERASED, 2))
    _lost(hub, monkeypatch, lambda hub: erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-2"))
    clock.advance(hours=-25)  # an answer kept a day and an hour before the start, the last
    _lost(hub, monkeypatch, REQUESTS["removal"][0])
    old, new = (erasure_retries.retry_key(hub, OWNER.member_id, "delete", fiche_id)
                for fiche_id in ("F-1", "F-2"))
    hub.close()
    initialise(hub.settings)
    started = _reopen(hub)
    try:
        with started.uow() as uow:
            ever = clock() - dt.timedelta(days=365)
            assert uow.erasure_answers.get(old, ever) is None
            assert uow.erasure_answers.get(new, ever) is not None
    finally:
        started.close()

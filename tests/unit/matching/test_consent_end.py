"""The index's consent end is the consent's own, to the microsecond."""

from __future__ import annotations

import datetime as dt

from hub.domain.matching.consent_end import epoch_us, has_ended

END = dt.datetime(2027, 1, 1, 0, 0, 0, 900000, tzinfo=dt.UTC)


def test_an_end_within_a_second_keeps_its_microseconds():
    assert epoch_us(END) % 1_000_000 == 900000
    assert epoch_us(END.astimezone(dt.timezone(dt.timedelta(hours=1)))) == epoch_us(END)
    assert epoch_us(END.replace(tzinfo=None)) == epoch_us(END)


def test_a_consent_has_ended_from_its_end_on_as_its_status_says():
    tick = dt.timedelta(microseconds=1)
    assert [has_ended(epoch_us(END), epoch_us(END + d)) for d in (-tick, 0 * tick, tick)] == \
        [False, True, True]
    assert not has_ended(None, epoch_us(END))

"""The dead-letter page and replay say the bounds an id is refused for (checked before
the database is reached)."""

from __future__ import annotations

import pytest

from hub.errors import BadRequest
from hub.services.delivery import webhooks

BOUND = str(2**63 - 1)


@pytest.mark.parametrize("after", [-1, 2**63])
def test_an_after_out_of_range_is_refused_with_its_bounds(after):
    with pytest.raises(BadRequest) as refused:
        webhooks.dead_letter_page(None, after=after)  # type: ignore[arg-type]
    assert BOUND in refused.value.message_fr and BOUND in refused.value.message_en
    assert "positif ou nul" not in refused.value.message_fr


@pytest.mark.parametrize("delivery_id", [0, 2**63])
def test_a_delivery_id_out_of_range_is_refused_with_its_bounds(delivery_id):
    with pytest.raises(BadRequest) as refused:
        webhooks.replay_dead(None, delivery_id=delivery_id)  # type: ignore[arg-type]
    assert BOUND in refused.value.message_en

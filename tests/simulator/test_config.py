from datetime import date

import pytest

from ingestion.simulator import WorldConfig
from ingestion.simulator.config import STREAM_ID, stream


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_deals": 0}, "n_deals"),
        ({"n_deals": -5}, "n_deals"),
        ({"start_date": date(2025, 1, 1), "end_date": date(2025, 1, 1)}, "end_date"),
        ({"start_date": date(2025, 1, 1), "end_date": date(2024, 1, 1)}, "end_date"),
        ({"malformed_rate": 1.5}, "malformed_rate"),
        ({"seed": -1}, "seed"),
        ({"activity_rate": 0.0}, "activity_rate"),
    ],
)
def test_invalid_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        WorldConfig(**kwargs)


def test_defaults():
    c = WorldConfig()
    assert (c.seed, c.n_deals, c.malformed_rate) == (42, 5000, 0.002)
    assert (c.start_date, c.end_date) == (date(2024, 1, 1), date(2025, 12, 31))
    assert c.end_ms - c.start_ms == 731 * 86_400_000 - 1  # 2024 is a leap year


def test_stream_ids_are_distinct_constants():
    assert len(set(STREAM_ID.values())) == len(STREAM_ID)
    a = stream(1, "deals", 0).random(4)
    assert (a == stream(1, "deals", 0).random(4)).all()
    assert (a != stream(1, "touches", 0).random(4)).all()
    assert (a != stream(1, "deals", 1).random(4)).all()

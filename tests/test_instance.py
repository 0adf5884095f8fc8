"""Tests of the week's clock (optimiser/instance.py): integer minutes across the clock changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from optimiser.instance import Clock


@pytest.mark.parametrize(
    ("week", "sunday_hours"),
    [(date(2024, 12, 2), 24), (date(2025, 3, 24), 23), (date(2024, 10, 21), 25)],
)
def test_clock_minutes_round_trip_across_clock_changes(week: date, sunday_hours: int) -> None:
    """Every whole local hour of the week (and the Monday after) maps to minutes and back unchanged.

    Sunday 30 March 2025 has 23 hours (01:00 GMT -> 02:00 BST; 01:xx does not exist) and Sunday
    27 October 2024 has 25, so the next Monday starts 7 x 1440 - 60 or + 60 minutes after the week.
    """
    clock = Clock(week, "Europe/London")
    sunday = week + timedelta(days=6)
    assert clock.at(sunday + timedelta(days=1), "00:00") - clock.at(sunday, "00:00") == sunday_hours * 60
    for day in range(8):
        on = week + timedelta(days=day)
        for hour in range(24):
            if sunday_hours == 23 and on == sunday and hour == 1:
                continue  # 01:00-02:00 is skipped in spring
            minute = clock.at(on, f"{hour:02d}:00")
            back = clock.datetime(minute)
            assert (back.date(), back.hour, back.minute) == (on, hour, 0)
            assert clock.day_index(minute) == day


def test_day_index_matches_the_local_date_outside_the_cached_range() -> None:
    """Minutes far before or after the week fall back to the local date (same answer)."""
    clock = Clock(date(2024, 12, 2), "Europe/London")
    for minute in (-5 * 1440, -2 * 1440 - 1, 20 * 1440, 40 * 1440 + 7):
        assert clock.day_index(minute) == (clock.local_date(minute) - date(2024, 12, 2)).days


def test_day_indices_match_day_index_in_a_clock_change_week() -> None:
    """The vectorised lookup gives the same day as the scalar one for every minute of the spring week."""
    import numpy as np

    clock = Clock(date(2025, 3, 24), "Europe/London")
    minutes = np.arange(-1440, 9 * 1440)
    assert clock.day_indices(minutes).tolist() == [clock.day_index(int(m)) for m in minutes]
    with pytest.raises(ValueError, match="two weeks"):
        clock.day_indices(np.array([40 * 1440]))


def test_rest_is_measured_from_the_end_of_a_merged_period() -> None:
    """Overtime 14-18 touching duty 18-22 is one period ending 22:00; duty the next day at 07:00 leaves 9 h
    (11 h due), though the overtime itself ends 13 h before it."""
    from optimiser.instance import _fits_around_duty
    from optimiser.scenario import WorkingTime

    rules = WorkingTime(max_shift_hours=12)
    duty = [(18 * 60, 22 * 60), (31 * 60, 37 * 60)]
    assert not _fits_around_duty(14 * 60, 18 * 60, duty, rules)
    assert _fits_around_duty(14 * 60, 18 * 60, [(18 * 60, 22 * 60), (33 * 60, 37 * 60)], rules)  # 11 h: fits


def test_a_week_straddling_the_period_end_has_shifts_and_windows_inside_it_only() -> None:
    """The default scenario's last week starts on 31 March 2025, the grant's last day: shifts start on
    that Monday only, and no patrol window opens after it (its value, and the bound, stop with the grant)."""
    from optimiser.instance import build
    from optimiser.scenario import load_scenario

    data = build(load_scenario(None).scenario, date(2025, 3, 31))
    assert data.options and {o.day for o in data.options} == {0}
    assert all(w.start < 1440 for spans in data.windows.values() for w in spans)

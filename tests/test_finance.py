"""Tests of optimiser.finance: the annual plan model (hand-checkable optima), its inputs, actuals and seasons."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from optimiser.errors import DataError, ScenarioError
from optimiser.finance import (
    MONTHLY_COLUMNS,
    SWEEP_COLUMNS,
    AnnualInputs,
    Month,
    Seasonality,
    Zone,
    annual_plan,
    budget_sweep,
    build_zones,
    compare,
    compare_table,
    period_months,
    read_actuals,
    seasonal_weights,
    solve_annual,
    staffing_overrides,
)
from optimiser.scenario import SCENARIO_DIR, load_scenario

DATA = Path(__file__).parent / "data" / "finance"
TINY = DATA / "tiny.yaml"


def _months(n: int, days: int = 30) -> tuple[Month, ...]:
    """``n`` synthetic months of ``days`` days each (only ``days`` matters to the model)."""
    firsts = [date(2024, i + 1, 1) for i in range(n)]
    return tuple(Month(f"2024-{i + 1:02d}", first, first + timedelta(days=days - 1)) for i, first in enumerate(firsts))


def _zone(
    project: str, district: str, share: float, *, tiers: int = 1, per_day: float = 1000.0, factor: float = 0.5
) -> Zone:
    return Zone(project, district, 1, share, share, tiers, per_day, factor)


def _inputs(**changes: object) -> AnnualInputs:
    base: dict[str, object] = {
        "months": _months(1),
        "allocation_gbp": {"asb": 0.0, "sv": 0.0},
        "zones": (),
        "seasonal": {"asb": (1.0,), "sv": (1.0,)},
        "target_hours": 0.0,
        "ceiling_hours": 1e9,
    }
    base.update(changes)
    return AnnualInputs(**base)  # type: ignore[arg-type]


# ---- the model: hand-checkable optima --------------------------------------------------------------


def test_whole_posts_committed_once_hired() -> None:
    """2 months; a post costs £1,000 and gives 100 h a month; £3,999; month 1 weighs 2, month 2 weighs 1.

    Posts never fall, so (p1, p2) with p1 <= p2 and 1000 (p1 + p2) <= 3999: (1, 2) is worth
    2 x 100 + 2 x 100 = 400, better than (0, 3) = 300; the last £999 buys no whole post-month.
    """
    inputs = _inputs(
        months=_months(2),
        allocation_gbp={"asb": 3999.0, "sv": 0.0},
        zones=(_zone("asb", "N", 1.0),),
        seasonal={"asb": (2.0, 1.0), "sv": (1.0, 1.0)},
        warden_cost_gbp={"N": (1000.0, 1000.0)},
        warden_hours={"N": (100.0, 100.0)},
    )
    solution = solve_annual(inputs)
    assert solution.status == "optimal"
    assert solution.posts == {"N": [1, 2]}
    assert solution.objective == pytest.approx(400.0)


def test_diminishing_returns_spread_posts() -> None:
    """1 month; districts N (share 0.6) and S (0.4), two tiers of 30 h each, factor 0.5; a post: 30 h, £100; £300.

    Post values: N first 18, S first 12, N second 9, S second 6. Three posts: N 2, S 1, worth 39.
    """
    inputs = _inputs(
        allocation_gbp={"asb": 300.0, "sv": 0.0},
        zones=(_zone("asb", "N", 0.6, tiers=2, per_day=1.0), _zone("asb", "S", 0.4, tiers=2, per_day=1.0)),
        warden_cost_gbp={"N": (100.0,), "S": (100.0,)},
        warden_hours={"N": (30.0,), "S": (30.0,)},
    )
    for solver in ("cbc", "highs"):
        solution = solve_annual(inputs, solver=solver)
        assert solution.status == "optimal", solver
        assert solution.posts == {"N": [2], "S": [1]}, solver
        assert solution.objective == pytest.approx(39.0), solver


def test_overtime_goes_to_the_busier_month_within_capacity() -> None:
    """2 months weighing 3 and 1; overtime £10/h, 50 h capacity a month; £700 buys 70 h: 50 then 20, worth 170."""
    inputs = _inputs(
        months=_months(2),
        allocation_gbp={"asb": 0.0, "sv": 700.0},
        zones=(_zone("sv", "N", 1.0),),
        seasonal={"asb": (1.0, 1.0), "sv": (3.0, 1.0)},
        officer_rate_gbp=(10.0, 10.0),
        officer_capacity_hours=(50.0, 50.0),
    )
    solution = solve_annual(inputs)
    assert solution.officer_hours["N"] == pytest.approx([50.0, 20.0])
    assert solution.objective == pytest.approx(170.0)


def test_ceiling_caps_patrol_hours() -> None:
    """As above with a 60-hour ceiling: 50 + 10 hours, worth 160, £100 left."""
    inputs = _inputs(
        months=_months(2),
        allocation_gbp={"asb": 0.0, "sv": 700.0},
        zones=(_zone("sv", "N", 1.0),),
        seasonal={"asb": (1.0, 1.0), "sv": (3.0, 1.0)},
        officer_rate_gbp=(10.0, 10.0),
        officer_capacity_hours=(50.0, 50.0),
        ceiling_hours=60.0,
    )
    solution = solve_annual(inputs)
    assert solution.officer_hours["N"] == pytest.approx([50.0, 10.0])
    assert solution.objective == pytest.approx(160.0)


@pytest.mark.parametrize(
    ("target", "posts", "shortfall"), [(0.0, 1, 0.0), (90.0, 3, 0.0), (100.0, 4, 0.0), (400.0, 10, 100.0)]
)
def test_soft_target_buys_hours_past_saturation(target: float, posts: int, shortfall: float) -> None:
    """1 month; one tier of 10 h (share 1); a post: 30 h for £100; £1,000 (10 posts at most).

    Without a target only the first post has value and the rest is headroom. A target of 90 h needs 3
    posts, 100 h needs 4; 400 h is out of reach: 10 posts (300 h), 100 h short. Objective = 10 - 1 x short.
    """
    inputs = _inputs(
        allocation_gbp={"asb": 1000.0, "sv": 0.0},
        zones=(_zone("asb", "N", 1.0, per_day=10 / 30),),
        warden_cost_gbp={"N": (100.0,)},
        warden_hours={"N": (30.0,)},
        target_hours=target,
    )
    solution = solve_annual(inputs)
    assert solution.posts["N"] == [posts]
    assert solution.shortfall_hours == pytest.approx(shortfall)
    assert solution.objective == pytest.approx(10.0 - shortfall)


def test_actuals_fix_months_and_move_underspend_forward() -> None:
    """3 months weighing 3, 2, 1; £10/h; 50 h capacity a month; £900.

    Plan: 50 h, 40 h, 0 h. Actually 20 h (£200) were worked in month 1: the £300 underspend moves
    forward, so months 2 and 3 get 50 h and 20 h (£700 instead of £400).
    """
    common: dict[str, object] = {
        "months": _months(3),
        "allocation_gbp": {"asb": 0.0, "sv": 900.0},
        "zones": (_zone("sv", "N", 1.0),),
        "seasonal": {"asb": (1.0,) * 3, "sv": (3.0, 2.0, 1.0)},
        "officer_rate_gbp": (10.0,) * 3,
        "officer_capacity_hours": (50.0,) * 3,
    }
    plan = solve_annual(_inputs(**common))
    assert plan.officer_hours["N"] == pytest.approx([50.0, 40.0, 0.0])
    replan = solve_annual(
        _inputs(
            **common,
            fixed_months=1,
            actual_spend_gbp={("2024-01", "sv", "N"): 200.0},
            actual_hours={("2024-01", "sv", "N"): 20.0},
        )
    )
    assert replan.officer_hours["N"][1:] == pytest.approx([50.0, 20.0])


def test_committed_posts_stay_and_overspent_actuals_are_infeasible() -> None:
    """1 post in post at the as-of month stays; actuals beyond the allocation make the plan infeasible."""
    common: dict[str, object] = {
        "months": _months(2),
        "zones": (_zone("asb", "N", 1.0, per_day=0.01),),
        "seasonal": {"asb": (1.0, 1.0), "sv": (1.0, 1.0)},
        "warden_cost_gbp": {"N": (100.0, 100.0)},
        "warden_hours": {"N": (30.0, 30.0)},
        "fixed_months": 1,
        "actual_spend_gbp": {("2024-01", "asb", "N"): 100.0},
        "actual_hours": {("2024-01", "asb", "N"): 30.0},
        "committed_posts": {"N": 1},
    }
    # the tier is tiny, so a free choice would hire nobody; the committed post stays
    kept = solve_annual(_inputs(**common, allocation_gbp={"asb": 1000.0, "sv": 0.0}))
    assert kept.posts["N"][1] == 1
    broke = solve_annual(_inputs(**common, allocation_gbp={"asb": 150.0, "sv": 0.0}))
    assert broke.status == "infeasible"
    assert "committed warden posts" in broke.explanation


def test_warm_start_gives_the_same_optimum() -> None:
    """A lower budget's plan starts the solve (CBC and HiGHS) and the optimum is unchanged."""
    zones = (_zone("asb", "N", 0.6, tiers=2, per_day=1.0), _zone("asb", "S", 0.4, tiers=2, per_day=1.0))
    common: dict[str, object] = {
        "zones": zones,
        "warden_cost_gbp": {"N": (100.0,), "S": (100.0,)},
        "warden_hours": {"N": (30.0,), "S": (30.0,)},
    }
    low = solve_annual(_inputs(**common, allocation_gbp={"asb": 200.0, "sv": 0.0}))
    assert low.posts == {"N": [1], "S": [1]}
    for solver in ("cbc", "highs"):
        high = solve_annual(_inputs(**common, allocation_gbp={"asb": 300.0, "sv": 0.0}), solver=solver, warm_start=low)
        assert high.warm_start
        assert high.objective == pytest.approx(39.0)


def test_warm_start_below_zero_is_not_taken_as_optimal(tmp_path: Path) -> None:
    """A start whose objective is below zero (hours short of the target) is improved on, as a cold solve is.

    The Leeds demo at half its allocations, then at its own: CBC once scored the half level's plan, as a
    start, with the wrong sign on a maximisation and returned it as proven optimal (1 post, not 3).
    """
    path = SCENARIO_DIR / "leeds-demo.yaml"
    half = load_scenario(path, ["projects.asb.allocation_gbp=30000", "projects.sv.allocation_gbp=20000"])
    whole = load_scenario(path, ["projects.asb.allocation_gbp=60000", "projects.sv.allocation_gbp=40000"])
    flat = Seasonality.flat()
    for solver in ("cbc", "highs"):
        low = annual_plan(half, out_dir=tmp_path / f"{solver}-low", solver=solver, seasonality=flat)
        assert low.solution.objective is not None and low.solution.objective < 0
        cold = annual_plan(whole, out_dir=tmp_path / f"{solver}-cold", solver=solver, seasonality=flat)
        warm = annual_plan(whole, out_dir=tmp_path / f"{solver}-warm", solver=solver, seasonality=flat, warm_start=low)
        assert warm.solution.warm_start
        assert warm.solution.objective == pytest.approx(cold.solution.objective, abs=1e-3), solver


# ---- inputs from a scenario --------------------------------------------------------------------------


def test_period_months_clip_to_the_period() -> None:
    months = period_months(date(2024, 4, 15), date(2024, 6, 10))
    assert [(m.key, m.days) for m in months] == [("2024-04", 16), ("2024-05", 31), ("2024-06", 10)]


def test_zones_of_tiny_scenario() -> None:
    """Shares 30/100, 10/100, 60/100. ASB: 4 visits a day (8-hour window, 2-hour gap), one crew present
    375 min a day (3 x 120 + 15) = 1.5625 h per tier; SV: 2 visits in its 4-hour window, 135 min = 1.125 h."""
    zones = {(z.project, z.district): z for z in build_zones(load_scenario(TINY).scenario)}
    assert zones.keys() == {("asb", "N"), ("asb", "S"), ("sv", "N")}
    assert [zones[k].share for k in (("asb", "N"), ("asb", "S"), ("sv", "N"))] == pytest.approx([0.3, 0.1, 0.6])
    assert (zones[("asb", "N")].tiers, zones[("sv", "N")].tiers) == (4, 2)
    assert zones[("asb", "N")].tier_hours_per_day == pytest.approx(1.5625)
    assert zones[("sv", "N")].tier_hours_per_day == pytest.approx(1.125)


def test_costs_come_from_the_weekly_pay_rules(tmp_path: Path) -> None:
    """Tiny scenario: a post costs 26,000 x days / 365; overtime £136.56 per 4 h = £34.14/h (rest days only);
    April's capacity: 8 h a week per officer (48 h less 40 h duty) on Fridays and Saturdays (Sunday's
    overtime would end 9 h before Monday's duty) -> 2 x 4 x 8 = 64 h."""
    plan = annual_plan(load_scenario(TINY), seasonality="flat", target_hours=0, out_dir=tmp_path)
    inputs = plan.inputs
    assert inputs.warden_cost_gbp["N"] == pytest.approx((26000 * 30 / 365, 26000 * 31 / 365, 26000 * 30 / 365))
    assert inputs.officer_rate_gbp == pytest.approx((34.14,) * 3)
    assert inputs.officer_capacity_hours[0] == pytest.approx(64.0)
    frame = pd.read_csv(tmp_path / "monthly_plan.csv", dtype={"district": str})
    assert tuple(frame.columns) == MONTHLY_COLUMNS
    assert (tmp_path / "pcso_hours.csv").exists() and (tmp_path / "summary.txt").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["projects"]["sv"]["spend_gbp"] == pytest.approx(frame[frame.project == "sv"].spend_gbp.sum())
    # every month's spend stays within the allocation; headroom is the allocation less the spend so far
    for project in ("asb", "sv"):
        rows = (
            frame[frame.project == project]
            .groupby("month", sort=True)
            .agg(spend=("spend_gbp", "sum"), head=("headroom_gbp", "min"))
        )
        allocation = summary["projects"][project]["allocation_gbp"]
        assert rows["head"].to_numpy() == pytest.approx(allocation - rows["spend"].cumsum().to_numpy(), abs=0.02)
        assert rows["head"].min() >= -0.01


def test_actuals_replan_of_tiny_scenario() -> None:
    """Seasons 1, 0.9, 0.8; an unreachable target, so all money is spent if capacity allows.

    Plan: SV April 64 h (capacity), May 69.33 h, June the rest (£6,000 / £34.14 = 175.75 h in all).
    Actually April cost £1,000: the rest (£5,000) funds May and June at capacity (144 h = £4,916.16), so
    later spend rises from £3,815.04 to £4,916.16. April's £2,136.99 of ASB spend in N is one post, kept.
    """
    seasons = Seasonality({"asb": (1.0,) * 12, "sv": (1, 1, 1, 1.0, 0.9, 0.8, 1, 1, 1, 1, 1, 1)}, "test")
    loaded = load_scenario(TINY)
    plan = annual_plan(loaded, seasonality=seasons, target_hours=10_000)
    replan = annual_plan(
        loaded, seasonality=seasons, target_hours=10_000, actuals=DATA / "actuals-april.csv", as_of="2024-04"
    )

    def later_sv(p: object) -> float:
        rows = p.monthly  # type: ignore[attr-defined]
        return float(rows[(rows.project == "sv") & (rows.month > "2024-04")].spend_gbp.sum())

    assert later_sv(plan) == pytest.approx(6000 - 64 * 34.14, abs=0.05)
    assert later_sv(replan) == pytest.approx(144 * 34.14, abs=0.05)
    april = replan.monthly[replan.monthly.month == "2024-04"].set_index(["project", "district"])
    assert april.loc[("sv", "N"), "spend_gbp"] == pytest.approx(1000.0)
    assert april.loc[("asb", "N"), "warden_posts"] == 1
    assert replan.inputs.committed_posts == {"N": 1, "S": 0}
    assert (
        replan.monthly[(replan.monthly.project == "asb") & (replan.monthly.district == "N")].warden_posts >= 1
    ).all()
    assert replan.summary["actuals"]["as_of"] == "2024-04"
    assert any("after --as-of" in note for note in replan.summary["notes"])


# ---- actuals and seasons: errors and figures ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("month,project,district,spend_gbp\n2024-04,asb,N,1\n", "missing column"),
        ("month,project,district,spend_gbp,patrol_hours\n2023-04,asb,N,1,1\n", ":2: month '2023-04'"),
        ("month,project,district,spend_gbp,patrol_hours\n2024-04,xyz,N,1,1\n", "project 'xyz'"),
        ("month,project,district,spend_gbp,patrol_hours\n2024-04,asb,Q,1,1\n", "district 'Q'"),
        (
            "month,project,district,spend_gbp,patrol_hours\n2024-04,asb,N,1,-5\n",
            "patrol_hours '-5' must be a number >= 0",
        ),
        ("month,project,district,spend_gbp,patrol_hours\n2024-04,asb,N,lots,1\n", "spend_gbp 'lots' must be a number"),
        ("month,project,district,spend_gbp,patrol_hours\n2024-04,asb,N,1,1\n2024-04,asb,N,2,2\n", ":3: repeats"),
        ("month,project,district,spend_gbp,patrol_hours\n2024-05,asb,N,1,1\n", "no actuals for 2024-04"),
        (
            "month,project,district,spend_gbp,patrol_hours\n2024-04,asb,N,1,234.56,1\n",
            ":2: 6 values for the 5 columns of the header; quote an amount with a thousands comma",
        ),
    ],
)
def test_actuals_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_actuals(path, load_scenario(TINY).scenario)


def test_actuals_default_as_of_is_the_latest_month(tmp_path: Path) -> None:
    """The ledger's latest month is --as-of by default; every line of the earlier months is then needed there
    too: May without its ASB lines (a late invoice) would read as no spend and no posts in post."""
    ledger = (DATA / "actuals-april.csv").read_text(encoding="utf-8")
    with pytest.raises(DataError, match="no line for 2024-05 asb N, 2024-05 asb S, which other months have"):
        read_actuals(DATA / "actuals-april.csv", load_scenario(TINY).scenario)
    complete = tmp_path / "actuals.csv"
    complete.write_text(ledger + "2024-05,asb,N,2136.99,85.71\n2024-05,asb,S,0,0\n", encoding="utf-8")
    actuals = read_actuals(complete, load_scenario(TINY).scenario)
    assert actuals.as_of == "2024-05"
    assert actuals.spend_gbp[("2024-05", "sv", "N")] == 999.0


def test_seasonal_weights_from_police_uk_files() -> None:
    """ASB: 1 a day in January, 2 a day in July, other months take the mean 1.5 -> 2/3, 4/3, 1; violence flat."""
    seasons = seasonal_weights(load_scenario(TINY).scenario, street_dir=DATA / "street")
    assert seasons.weights["asb"][0] == pytest.approx(2 / 3)
    assert seasons.weights["asb"][6] == pytest.approx(4 / 3)
    assert seasons.weights["asb"][3] == pytest.approx(1.0)
    assert seasons.weights["sv"] == pytest.approx((1.0,) * 12)
    assert seasons.months_used == ("2024-01", "2024-07")
    assert any("2 row(s)" in note for note in seasons.notes)


def test_seasonal_weights_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no police\.uk street files.*flat"):
        seasonal_weights(load_scenario(TINY).scenario, street_dir=tmp_path / "nowhere")


def test_default_scenario_plan_within_limits() -> None:
    """Cleveland: the default scenario's annual plan keeps both allocations and the 20,000-hour ceiling."""
    try:
        loaded = load_scenario()
    except ScenarioError as exc:  # the shipped hotspots file is built by another stage
        pytest.skip(f"default scenario not loadable here: {exc}")
    plan = annual_plan(loaded)
    assert plan.status == "optimal"
    assert plan.summary["patrol_person_hours"] <= 20_000 + 1e-6
    for project in ("asb", "sv"):
        assert plan.summary["projects"][project]["headroom_gbp"] >= -0.01


# ---- budget sweep and compare (they plan weeks: tiny scenario, well under a second per week) ---------


def test_sweep_frontier_is_monotone_at_proven_optima(tmp_path: Path) -> None:
    """Tiny scenario, factors 0.25..2: every level's week is solved to proven optimum (gap 0) and more
    money never gives less dosage. At x0.5 the annual plan has 1 warden post in May, at x1 two (N and
    S), and one more per half factor after that; overtime stops at 3 shifts (the SV hotspot's 2 visits a
    night on Fri-Sun need no more), so the frontier flattens."""
    frame = budget_sweep(
        load_scenario(TINY), factors=[1, 0.5, 2, 0.25, 1.5], out_dir=tmp_path, seasonality="flat", target_hours=0
    )
    assert list(frame.columns[: len(SWEEP_COLUMNS)]) == list(SWEEP_COLUMNS)
    assert frame["factor"].tolist() == [0.25, 0.5, 1.0, 1.5, 2.0]
    assert (frame["status"] == "optimal").all()
    assert (frame["gap"] == 0).all()
    dosage = frame["harm_weighted_dosage"].to_numpy()
    assert (dosage[1:] >= dosage[:-1] - 1e-9).all(), dosage
    assert frame["warden_posts"].tolist() == [0, 1, 2, 3, 4]
    assert frame["annual_warm_start"].tolist() == [False, True, True, True, True]
    assert frame["asb_budget_gbp"].tolist() == pytest.approx([3250, 6500, 13000, 19500, 26000])
    assert {"cost_asb_N_gbp", "cost_asb_S_gbp", "cost_sv_N_gbp", "cost_grant_asb_gbp"} <= set(frame.columns)
    written = pd.read_csv(tmp_path / "sweep.csv")
    assert written["status"].tolist() == frame["status"].tolist()
    assert (tmp_path / "sweep.png").stat().st_size > 0
    assert (tmp_path / "factor-1" / "week" / "roster.csv").exists()
    assert (tmp_path / "factor-1" / "annual" / "monthly_plan.csv").exists()


def test_sweep_keeps_an_infeasible_level(tmp_path: Path) -> None:
    """Contracts of 22 h a week cannot be met with 5-hour shifts: a level whose week has a warden post is
    infeasible (and says why); the level without one (x0.25) is planned. Both rows are kept."""
    loaded = load_scenario(
        TINY, ["staff.wardens.0.contracted_hours_per_week=22", "staff.wardens.1.contracted_hours_per_week=22"]
    )
    frame = budget_sweep(loaded, factors=[0.25, 1], out_dir=tmp_path, seasonality="flat", target_hours=0)
    assert frame["status"].tolist() == ["optimal", "infeasible"]
    assert "contracted-hours" in frame.loc[1, "explanation"]
    assert math.isnan(frame.loc[1, "marginal_dosage_per_1000_gbp"])
    # every project x district has its cost column, at the end and in order, whatever the levels listed
    # (x0.25 has no ASB post: its district columns were once missing)
    districts = [f"cost_{p}_{d}_gbp" for p in ("asb", "sv") for d in ("N", "S")]
    assert list(frame.columns[-5:]) == [*districts, "explanation"]
    assert frame.loc[0, "cost_asb_S_gbp"] == 0.0


def test_staffing_overrides_price_the_week(tmp_path: Path) -> None:
    """x1 plan of the tiny scenario: posts N and S from April; the week of 13 May costs 2 x 26,000 x 7 / 365 =
    £997.2603 of ASB, rounded up to £997.27 (the week's check allows no less), and the SV budget is the May
    overtime spend x 7 / 31."""
    loaded = load_scenario(TINY)
    plan = annual_plan(loaded, seasonality="flat", target_hours=0)
    week = date(2024, 5, 13)
    overrides = staffing_overrides(loaded.scenario, plan, week)
    wardens = json.loads(overrides[0].split("=", 1)[1])
    assert sum(w["count"] for w in wardens) == sum(plan.posts_in("2024-05").values())
    assert overrides[1] == "projects.asb.weekly_budget_gbp=997.27"
    sv = float(overrides[2].split("=", 1)[1])
    assert sv == pytest.approx(plan.spend_in("2024-05", "sv") * 7 / 31, abs=0.01)


def test_compare_two_scenarios_and_a_folder(tmp_path: Path) -> None:
    """tiny-b has half the SV money: one overtime shift (£136.56) instead of two (£273.12).

    tiny's officers can work overtime on Friday and Saturday only: Sunday's 18:00-22:00 would leave 9 h
    before Monday's 07:00 duty (11 h daily rest).
    """
    table = compare_table(TINY, DATA / "tiny-b.yaml")
    figures = table.set_index("figure")
    assert figures.loc["cost_grant_sv_gbp", "a"] == pytest.approx(273.12)
    assert figures.loc["cost_grant_sv_gbp", "b"] == pytest.approx(136.56)
    assert figures.loc["cost_grant_sv_gbp", "delta"] == pytest.approx(-136.56)
    assert figures.loc["harm_weighted_dosage", "delta"] < 0
    assert figures.loc["status", "delta"] == "same"
    text = compare(TINY, DATA / "tiny-b.yaml")
    assert "cost_grant_sv_gbp" in text and "-136.56" in text
    # a plan folder compared with the scenario it came from: the same figures
    from optimiser.pipeline import plan_to_folder

    plan_to_folder(load_scenario(TINY), out_dir=tmp_path / "plan")
    same = compare_table(tmp_path / "plan", TINY).set_index("figure")
    numeric = same.drop(index=["status", "solve_seconds"])
    assert (numeric["delta"].astype(float).abs() < 1e-9).all()


def test_compare_names_a_side_without_a_plan(tmp_path: Path) -> None:
    """B's ASB budget is below its committed contracts: B is infeasible, and the text says its zeros are not a plan."""
    from optimiser.pipeline import plan_to_folder

    plan_to_folder(load_scenario(TINY, ["projects.asb.weekly_budget_gbp=10"]), out_dir=tmp_path / "cut")
    text = compare(TINY, tmp_path / "cut")
    assert text.splitlines()[-1].startswith("note: B has no plan (infeasible: budget: ASB weekly budget £10.00 <")
    assert text.count("note:") == 1


def test_compare_names_a_side_that_fails_its_check_and_shows_gaps_as_percentages(tmp_path: Path) -> None:
    """A folder edited since it was written (a negative dwell, a summary figure made text) is checked again:
    compare still shows it, notes that it fails its check, and shows the gap as the plan headline does."""
    import json

    from optimiser.pipeline import plan_to_folder

    plan_to_folder(load_scenario(TINY), out_dir=tmp_path / "a", formats=())
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    visits = tmp_path / "b" / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    fields[5] = "-" + fields[5]
    visits.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n", encoding="utf-8")
    summary_path = tmp_path / "b" / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    summary_path.write_text(json.dumps({**summary, "cost_gbp": "lots"}), encoding="utf-8")
    text = compare(tmp_path / "a", tmp_path / "b")
    assert "note: B fails its check (" in text and "dwell" in text and "note: A" not in text
    assert f"run `patrol check {tmp_path / 'b'}`" in text
    (gap,) = [line for line in text.splitlines() if line.startswith("gap ")]
    assert gap.split()[1].endswith("%") and gap.split()[-1].startswith(("+", "-"))


def test_plan_figures_count_a_night_over_the_clock_change_in_real_hours() -> None:
    """An officer's 19:00-03:00 overtime on Saturday 26 October 2024 (clocks go back at 02:00 BST) lasts
    9 hours: less its 20-minute break, 8.67 patrol hours (wall-clock arithmetic on one zone would say 7.67)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from optimiser.finance import plan_figures
    from optimiser.plan import Plan, RosterRow

    london = ZoneInfo("Europe/London")
    row = RosterRow(
        shift_id="PC-1-Sat-OT-LATE",
        crew_id="SV-1",
        staff_id="PC-1",
        role="officer",
        district="D1",
        base_id="STN",
        shift_start=datetime(2024, 10, 26, 19, 0, tzinfo=london),
        shift_end=datetime(2024, 10, 27, 3, 0, tzinfo=london),
        break_start=datetime(2024, 10, 26, 23, 0, tzinfo=london),
        break_minutes=20,
        paid_hours=8.667,
        pay_multiplier=1.5,
        cost_gbp=300.0,
        funding="grant-sv",
    )
    figures = plan_figures(Plan(scenario_yaml="", hotspots=[], roster=[row], summary={}))
    assert figures["officer_overtime_hours"] == pytest.approx(9 - 20 / 60, abs=0.01)


def test_budget_plan_names_the_ceiling_when_it_decides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tiny with a ceiling of 100 patrol hours: the year's plan stops at the ceiling, and says so. With
    the scenario's contracts committed the same ceiling is infeasible, and the explanation gives the
    contracts' hours."""
    import cli

    code = cli.main(["budget", "plan", str(TINY), "--flat-seasons", "--ceiling-hours", "100", "--target-hours", "50",
                     "--out", str(tmp_path / "plan")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "ceiling 100;" in out and "note: the ceiling of 100 patrol person-hours decides this plan" in out
    assert "the scenario's 2 warden contracts" in out
    code = cli.main(["budget", "plan", str(TINY), "--flat-seasons", "--ceiling-hours", "100", "--target-hours", "50",
                     "--commit-contracts", "--out", str(tmp_path / "plan")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 3
    assert "the committed warden posts' " in out and "contracted hours exceed the ceiling of 100" in out
    # the infeasible result went beside the valid plan in that folder, which stays as it was
    assert json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))["status"] == "optimal"
    beside = tmp_path / "plan.infeasible"
    assert json.loads((beside / "summary.json").read_text(encoding="utf-8"))["status"] == "infeasible"
    assert f"written to {beside}" in out
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_the_scenarios_contracts_are_set_beside_or_committed() -> None:
    """The default scenario's 22 contracts (May 2024 - March 2025) cost £887,520.53 pro rata (annual cost
    x days in force / 365). A plan of fresh posts says so beside its headroom; committed (with the
    ceiling raised so 22 posts fit) they are 22 posts from May and spent money. Cut by a fifth, the
    allocation cannot pay them: the fresh plan's note says so, and the committed plan is infeasible."""
    loaded = load_scenario(SCENARIO_DIR / "cleveland.yaml")
    fresh = annual_plan(loaded, seasonality="flat")
    assert fresh.summary["warden_contracts"] == {
        "count": 22, "cost_gbp": 887_520.53, "contracted_hours": pytest.approx(38_955.7, abs=0.1), "committed": False,
    }  # fmt: skip
    assert any("22 warden contracts cost £887,520.53 in the period, leaving £100,979.47" in n
               for n in fresh.summary["notes"])  # fmt: skip
    committed = annual_plan(loaded, seasonality="flat", commit_contracts=True, ceiling_hours=60_000)
    assert committed.status == "optimal"
    assert committed.posts_in("2024-05") == {"E06000001": 4, "E06000002": 8, "E06000003": 4, "E06000004": 6}
    assert committed.summary["projects"]["asb"]["spend_gbp"] >= 887_520.53 - 50  # whole months, mean post cost
    cut = load_scenario(SCENARIO_DIR / "cleveland-cut20.yaml")
    assert any(
        "£96,720.53 more than the ASB allocation" in n for n in annual_plan(cut, seasonality="flat").summary["notes"]
    )
    infeasible = annual_plan(cut, seasonality="flat", commit_contracts=True, ceiling_hours=60_000)
    assert infeasible.status == "infeasible"
    assert "asb: the scenario's warden contracts £" in infeasible.summary["explanation"]
    assert "exceed the allocation £790,800.00" in infeasible.summary["explanation"]


def test_no_ceiling_note_when_the_money_decides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tiny with a ceiling of 700 h: the plan spends the SV money and funds both contracts; no ceiling note."""
    import cli

    code = cli.main(
        ["budget", "plan", str(TINY), "--flat-seasons", "--ceiling-hours", "700", "--out", str(tmp_path / "p")]
    )
    assert code == 0 and "decides this plan" not in capsys.readouterr().out


def test_warden_posts_count_contracts_not_rostered_wardens() -> None:
    """The validator fixture's week has two warden contracts; without W-02's shifts (as if on leave all
    week) the posts are still two: the contract is in force and committed."""
    from dataclasses import replace as replaced

    from optimiser.finance import plan_figures
    from optimiser.plan import read_plan

    plan = read_plan(Path(__file__).parent / "data" / "validate" / "plan")
    assert plan_figures(plan)["warden_posts"] == 2
    without = replaced(plan, roster=[r for r in plan.roster if r.staff_id != "W-02"])
    assert plan_figures(without)["warden_posts"] == 2
    assert plan_figures(replaced(without, scenario_yaml=""))["warden_posts"] == 1  # no scenario: those rostered


def test_asb_costs_by_district_add_up_to_the_asb_total() -> None:
    """By district, ASB is the committed contract cost too: with W-02 off all week (no roster rows) the
    districts still add up to the summary's committed ASB cost (roster rows fell short by W-02's pay)."""
    from dataclasses import replace as replaced

    from optimiser.finance import plan_figures
    from optimiser.plan import read_plan

    plan = read_plan(Path(__file__).parent / "data" / "validate" / "plan")
    without = replaced(plan, roster=[r for r in plan.roster if r.staff_id != "W-02"])
    figures = plan_figures(without)
    districts = sum(v for k, v in figures.items() if k.startswith("cost_asb_") and k.endswith("_gbp"))
    assert districts == pytest.approx(figures["cost_grant_asb_gbp"], abs=0.01)


def test_district_costs_add_up_to_the_penny() -> None:
    """Cleveland's four districts once read £18,545.20 against a £18,545.21 total (each rounded alone); the
    odd penny now goes to the largest remainder."""
    from optimiser.finance import _pennies

    exact = {
        "cost_asb_A_gbp": 3375.3425,
        "cost_asb_B_gbp": 6750.685,
        "cost_asb_C_gbp": 3375.3425,
        "cost_asb_D_gbp": 5043.8356,
    }
    split = _pennies(exact)
    assert round(sum(split.values()), 2) == round(sum(exact.values()), 2) == 18545.21
    assert split["cost_asb_B_gbp"] == 6750.69 and split["cost_asb_A_gbp"] == 3375.34


def test_annual_plan_names_what_it_leaves_out(tmp_path: Path) -> None:
    """An SV-only scenario's ASB money is not headroom of its plan (it is not planned there), and a
    weekly budget override, which only weekly plans use, is named rather than silently ignored."""
    plan = annual_plan(
        load_scenario(SCENARIO_DIR / "cleveland-sv-only.yaml", ["projects.sv.weekly_budget_gbp=100"]),
        seasonality="flat",
    )
    assert plan.summary["projects"]["asb"] == {**plan.summary["projects"]["asb"], "planned": False, "headroom_gbp": 0.0}
    assert "asb: not planned in this scenario (active_projects)" in plan.text()
    assert "projects.sv.weekly_budget_gbp is a weekly plan's budget" in plan.text()
    assert "warden contracts cost" not in plan.text()


def test_monthly_headroom_is_the_allocation_left_at_each_months_end() -> None:
    """monthly_plan.csv's headroom_gbp is the project's allocation left at the month's end over every
    district (one figure per month, not a running balance down the rows); the last month's is the summary's."""
    plan = annual_plan(load_scenario(TINY), seasonality="flat", target_hours=0)
    monthly = plan.monthly
    for (month, project), rows in monthly.groupby(["month", "project"]):
        assert rows["headroom_gbp"].nunique() == 1, (month, project)
        spent = monthly[(monthly["project"] == project) & (monthly["month"] <= month)]["spend_gbp"].sum()
        assert rows["headroom_gbp"].iloc[0] == pytest.approx(
            plan.summary["projects"][project]["allocation_gbp"] - spent, abs=0.005
        )
    last = monthly[monthly["month"] == monthly["month"].max()]
    for project in ("asb", "sv"):
        end = last[last["project"] == project]["headroom_gbp"].iloc[0]
        assert end == pytest.approx(plan.summary["projects"][project]["headroom_gbp"], abs=0.005)


def test_sv_money_left_at_the_officers_capacity_is_explained() -> None:
    """The default scenario's officers can work 10,012 overtime hours in the year (48 h a week less their
    duty); the plan uses them all and £41,897.14 of SV money is left: the note says capacity, not money,
    decided. With a fifth of the SV money there is none left over, and no note."""
    loaded = load_scenario(SCENARIO_DIR / "cleveland.yaml")
    plan = annual_plan(loaded, seasonality="flat")
    notes = [n for n in plan.summary["notes"] if n.startswith("officer overtime is ")]
    assert len(notes) == 1 and "of the SV allocation is left" in notes[0]
    # 12 h short of capacity with the ceiling reached: said as such, not "at" capacity
    assert "within 12 h of the officers' working-time capacity (the patrol-hour ceiling takes those)" in notes[0]
    assert not [n for n in plan.summary["notes"] if "ceiling of 20,000 patrol person-hours is reached" in n]
    # a 12,000-hour ceiling stops overtime far below capacity: the SV money left is the ceiling's doing
    capped = annual_plan(loaded, seasonality="flat", ceiling_hours=12000)
    assert any(
        n.endswith("of the SV allocation is left: the ceiling of 12,000 patrol person-hours is reached (12,000.0 "
                   "planned), so no more overtime hours fit beside the warden posts")
        for n in capped.summary["notes"]
    )  # fmt: skip
    assert not [n for n in capped.summary["notes"] if n.startswith("officer overtime is ")]
    poor = annual_plan(load_scenario(SCENARIO_DIR / "cleveland.yaml", ["projects.sv.allocation_gbp=80000"]),
                       seasonality="flat")  # fmt: skip
    assert not [n for n in poor.summary["notes"] if n.startswith("officer overtime is at")]


def test_actuals_read_as_a_ledger_exports_them(tmp_path: Path) -> None:
    """Councils by name (any case) as well as code; amounts with £ and thousands commas; a credit month
    as (200) or -200 (a refund larger than the month's spend)."""
    path = tmp_path / "actuals.csv"
    path.write_text(
        "month,project,district,spend_gbp,patrol_hours\n"
        '2024-04,asb,north,"£1,200.50",10\n'
        "2024-04,asb,S,(200),0\n"
        "2024-04,sv,N,-35.5,0\n"
        "2024-04,sv,South,0,0\n",
        encoding="utf-8",
    )
    actuals = read_actuals(path, load_scenario(TINY).scenario)
    assert actuals.spend_gbp == {
        ("2024-04", "asb", "N"): 1200.5,
        ("2024-04", "asb", "S"): -200.0,
        ("2024-04", "sv", "N"): -35.5,
        ("2024-04", "sv", "S"): 0.0,
    }


def test_seasonal_weights_refuse_misnamed_empty_and_repeated_month_files(tmp_path: Path) -> None:
    """The same refusals as the hotspot refresh: a month's rows under another month's name would count
    that month twice; a file with a header only would leave a month out; both are named."""
    import shutil

    scenario = load_scenario(TINY).scenario
    source = sorted((DATA / "street").glob("*-street.csv"))[0]
    month = source.name[:7]
    misnamed = tmp_path / "misnamed"
    misnamed.mkdir()
    shutil.copy(source, misnamed / source.name)
    other = "2023-01" if month != "2023-01" else "2023-02"
    shutil.copy(source, misnamed / source.name.replace(month, other))
    with pytest.raises(DataError, match=f"the name says {other} but .* are for {month}"):
        seasonal_weights(scenario, street_dir=misnamed)
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(source, empty / source.name)
    header = source.read_text(encoding="utf-8").splitlines()[0]
    (empty / source.name.replace(month, other)).write_text(header + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="a header but no rows"):
        seasonal_weights(scenario, street_dir=empty)


def test_budget_plan_never_writes_into_a_weekly_plan_and_its_folder_is_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out naming a weekly plan's folder is refused (its summary.json would be replaced); a new annual
    plan folder is readable by others (rwxr-xr-x), as plan folders are."""
    import shutil
    import stat

    import cli

    weekly = tmp_path / "weekly"
    shutil.copytree(Path(__file__).parent / "data" / "validate" / "plan", weekly)
    before = (weekly / "summary.json").read_bytes()
    code = cli.main(["budget", "plan", str(TINY), "--flat-seasons", "--out", str(weekly)])
    assert code == 2 and "holds a weekly plan" in capsys.readouterr().err
    assert (weekly / "summary.json").read_bytes() == before
    assert cli.main(["budget", "plan", str(TINY), "--flat-seasons", "--out", str(tmp_path / "annual")]) == 0
    assert stat.S_IMODE((tmp_path / "annual").stat().st_mode) == 0o755


def test_two_annual_plans_compare_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two budget plans of tiny (the SV allocation halved): spend, headroom and hours per side with B - A,
    also as CSV; an annual plan against a weekly one is a named error."""
    import cli

    annual_plan(load_scenario(TINY), seasonality="flat", target_hours=0, out_dir=tmp_path / "a")
    half = load_scenario(TINY, ["projects.sv.allocation_gbp=1000"])
    annual_plan(half, seasonality="flat", target_hours=0, out_dir=tmp_path / "b")
    code = cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--csv", str(tmp_path / "cmp.csv")])
    out = capsys.readouterr().out
    assert code == 0 and "sv_allocation_gbp" in out and "warden_posts_at_end" in out
    table = pd.read_csv(tmp_path / "cmp.csv").set_index("figure")
    assert float(table.loc["sv_allocation_gbp", "b"]) == 1000.0
    assert float(table.loc["sv_spend_gbp", "delta"]) == pytest.approx(
        float(table.loc["sv_spend_gbp", "b"]) - float(table.loc["sv_spend_gbp", "a"]), abs=1e-6
    )
    # the inputs that explain a difference are rows too
    assert {"target_hours", "ceiling_hours", "actuals_as_of", "contracts_committed", "projects_planned"} <= set(
        table.index
    )
    # plans of different projects share harm differently: their harm-weighted hours are said not to compare
    sv_only = load_scenario(TINY, ["active_projects=[sv]"])
    annual_plan(sv_only, seasonality="flat", target_hours=0, out_dir=tmp_path / "sv")
    capsys.readouterr()
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "sv")]) == 0
    assert "note: the two plans cover different projects (asb,sv against sv)" in capsys.readouterr().out
    weekly = tmp_path / "weekly"
    import shutil

    shutil.copytree(Path(__file__).parent / "data" / "validate" / "plan", weekly)
    assert cli.main(["compare", str(tmp_path / "a"), str(weekly)]) == 2
    assert "is an annual plan and the other side is not" in capsys.readouterr().err
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "typo")]) == 2
    assert "typo: not found" in capsys.readouterr().err
    # the table never lands on a compared plan's files, a folder, or a file that is not a CSV
    inside = tmp_path / "a" / "summary.json"
    before = inside.read_bytes()
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--csv", str(inside)]) == 2
    assert "a plan being compared" in capsys.readouterr().err and inside.read_bytes() == before
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--csv", str(tmp_path)]) == 2
    assert f"--csv {tmp_path}: is a folder" in capsys.readouterr().err


def test_a_target_above_the_ceiling_is_named() -> None:
    plan = annual_plan(load_scenario(TINY), seasonality="flat", target_hours=500, ceiling_hours=100)
    assert any(
        n.startswith("the target of 500 patrol person-hours is above the ceiling of 100") for n in plan.summary["notes"]
    )


def test_a_week_with_no_plan_has_no_contract_figures() -> None:
    """An infeasible week's figures are zeros throughout: no posts or district costs beside an ASB total of 0."""
    from dataclasses import replace as replaced

    from optimiser.finance import plan_figures
    from optimiser.plan import read_plan

    plan = read_plan(Path(__file__).parent / "data" / "validate" / "plan")
    infeasible = replaced(plan, roster=[], visits=[], summary={**plan.summary, "status": "infeasible"})
    figures = plan_figures(infeasible)
    assert figures["warden_posts"] == 0
    assert not [k for k in figures if k.startswith("cost_asb_") and k != "cost_asb_gbp"]


def test_money_left_because_the_hotspots_are_saturated_is_explained(tmp_path: Path) -> None:
    """Leeds demo with a 3,000-hour target: two posts meet it and a third would patrol past the hotspots'
    useful hours (worth nothing), so £12,000 of ASB is left; the note says why, not a silent cap."""
    loaded = load_scenario(SCENARIO_DIR / "leeds-demo.yaml")
    plan = annual_plan(loaded, seasonality="flat", target_hours=3000)
    assert plan.summary["projects"]["asb"]["headroom_gbp"] == pytest.approx(12000.0)
    (note,) = [n for n in plan.summary["notes"] if "useful hours" in n]
    assert note.startswith("£12,000.00 of the ASB allocation is left: the patrol-hour target (3,000) is met")
    assert "useful hours are full (E08000035 4.2 h a day)" in note and "raise --target-hours" in note
    short = annual_plan(loaded, seasonality="flat", target_hours=13000)
    assert not [n for n in short.summary["notes"] if "useful hours" in n]
    # £25,000 buys one post and £999.98 is left: less than a post-month, not the hotspots being full
    small = load_scenario(SCENARIO_DIR / "leeds-demo.yaml", ["projects.asb.allocation_gbp=25000"])
    notes = annual_plan(small, seasonality="flat", target_hours=500).summary["notes"]
    assert "£999.98 of the ASB allocation is left: less than a warden post-month (£2,038.36)" in notes
    assert not [n for n in notes if "useful hours" in n]


def test_posts_are_hired_early_rather_than_piled_into_the_last_months(tmp_path: Path) -> None:
    """Leeds demo, flat seasons, ASB £90,000: many plans buy the same hours; the one ending with the fewest
    posts is chosen, by either solver (before: 15 posts at the end with CBC, 7 with HiGHS, most hired for
    the last months)."""
    loaded = load_scenario(SCENARIO_DIR / "leeds-demo.yaml", ["projects.asb.allocation_gbp=90000"])
    plans = {solver: annual_plan(loaded, seasonality="flat", solver=solver) for solver in ("cbc", "highs")}
    ends = {solver: plan.summary["warden_posts_at_end"] for solver, plan in plans.items()}
    assert ends["cbc"] == ends["highs"] == {"E08000035": 5}
    assert plans["cbc"].summary["objective"] == pytest.approx(plans["highs"].summary["objective"], rel=1e-6)


def test_actual_overtime_beyond_the_officers_capacity_is_noted(tmp_path: Path) -> None:
    """5,000 SV hours in April, far above what tiny's two officers could work: accepted (it is the ledger),
    with a note to check it, as a finance reviewer once found 3,180 h against 832 without a word."""
    ledger = tmp_path / "actuals.csv"
    ledger.write_text(
        "month,project,district,spend_gbp,patrol_hours\n"
        "2024-04,asb,N,2136.99,85.71\n2024-04,asb,S,0,0\n2024-04,sv,N,1000.00,5000\n",
        encoding="utf-8",
    )
    plan = annual_plan(load_scenario(TINY), seasonality="flat", actuals=ledger, as_of="2024-04")
    assert any(
        n.startswith("actuals: 2024-04 SV patrol hours 5,000.0 exceed the officers' overtime capacity")
        for n in plan.summary["notes"]
    )

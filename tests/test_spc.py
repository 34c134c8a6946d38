from __future__ import annotations

import csv
import doctest
import itertools
import json
import math
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsync import spc
from qsync.spc import (
    c4,
    capability,
    control_constants,
    d2,
    group_values,
    imr_limits,
    moving_range_sigma,
    nelson_rules,
    sigma_within,
    within_capability,
    xbar_r_limits,
)

PISTONRINGS = Path(__file__).parents[2] / "shared" / "data" / "pistonrings.csv"


def _pistonrings() -> tuple[list[float], list[int]]:
    with PISTONRINGS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [float(r["diameter"]) for r in rows], [int(r["subgroup"]) for r in rows]


@pytest.fixture(scope="module")
def phase_one() -> tuple[list[float], list[int]]:
    values, labels = _pistonrings()
    keep = [i for i, label in enumerate(labels) if label <= 25]
    return [values[i] for i in keep], [labels[i] for i in keep]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(spc)
    assert result.attempted > 10
    assert result.failed == 0


def test_pistonrings_matches_published_qcc_figures(phase_one) -> None:
    values, labels = phase_one
    result = capability(values, subgroups=labels, lsl=73.95, usl=74.05)
    assert result.n == 125
    assert result.n_subgroups == 25
    assert result.subgroup_size == 5
    assert result.method == "rbar"
    assert result.mean == pytest.approx(74.00118, abs=5e-6)
    assert result.sigma_within == pytest.approx(0.009785039, abs=5e-10)
    xbar, r_chart = result.charts
    assert (xbar.chart, r_chart.chart) == ("xbar", "r")
    assert xbar.lcl == pytest.approx(73.98805, abs=5e-6)
    assert xbar.ucl == pytest.approx(74.01431, abs=1e-5)
    assert result.cp == pytest.approx(1.703, abs=5e-4)
    assert result.cpl == pytest.approx(1.743, abs=5e-4)
    assert result.cpu == pytest.approx(1.663, abs=5e-4)
    assert result.cpk == pytest.approx(1.663, abs=5e-4)


def test_pistonrings_by_hand_formulas(phase_one) -> None:
    values, labels = phase_one
    groups: dict[int, list[float]] = {}
    for value, label in zip(values, labels, strict=True):
        groups.setdefault(label, []).append(value)
    r_bar = sum(max(g) - min(g) for g in groups.values()) / len(groups)
    sigma = r_bar / 2.326
    mean = sum(values) / len(values)
    overall = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

    result = capability(values, subgroups=labels, lsl=73.95, usl=74.05)
    assert result.sigma_within == pytest.approx(sigma, rel=1e-12)
    assert result.sigma_overall == pytest.approx(overall, rel=1e-12)
    assert result.pp == pytest.approx(0.1 / (6 * overall), rel=1e-12)
    assert result.ppk == pytest.approx((74.05 - mean) / (3 * overall), rel=1e-12)
    assert result.ppl == pytest.approx((mean - 73.95) / (3 * overall), rel=1e-12)
    r_chart = result.charts[1]
    assert r_chart.center == pytest.approx(r_bar, rel=1e-12)
    assert r_chart.lcl == 0.0
    assert r_chart.ucl == pytest.approx(2.114 * r_bar, rel=5e-4)


def test_pistonrings_sbar_option(phase_one) -> None:
    values, labels = phase_one
    groups = group_values(values, labels)
    s_bar = statistics.fmean(statistics.stdev(g) for g in groups)
    result = capability(values, subgroups=labels, sigma_method="sbar")
    assert result.method == "sbar"
    assert result.sigma_within == pytest.approx(s_bar / 0.9399856, rel=1e-6)
    xbar, s_chart = result.charts
    assert s_chart.chart == "s"
    assert s_chart.center == pytest.approx(s_bar, rel=1e-12)
    assert s_chart.ucl == pytest.approx(2.089 * s_bar, rel=5e-4)
    assert xbar.ucl - xbar.center == pytest.approx(1.427 * s_bar, rel=5e-4)
    assert result.cp is None and result.pp is None


def test_pistonrings_phase_two_points_beyond_limits() -> None:
    values, labels = _pistonrings()
    phase_one = [(v, g) for v, g in zip(values, labels, strict=True) if g <= 25]
    study = capability([v for v, _ in phase_one], subgroups=[g for _, g in phase_one])
    means = [statistics.fmean(g) for g in group_values(values, labels)]
    xbar = study.charts[0]
    beyond = [i for i, m in enumerate(means) if not xbar.lcl <= m <= xbar.ucl]
    rules = nelson_rules(means, center=study.mean, sigma=study.sigma_within / math.sqrt(5))
    assert rules[1] == beyond == [36, 37, 38]


def test_individuals_use_moving_range() -> None:
    values = [1.0, 3.0, 2.0, 5.0, 4.0]
    sigma = (2 + 1 + 3 + 1) / 4 / 1.128
    overall = math.sqrt(10 / 4)
    result = capability(values, lsl=0.0, usl=6.0)
    assert result.method == "mr"
    assert result.subgroup_size == 1
    assert result.sigma_within == pytest.approx(sigma, rel=1e-12)
    assert result.cp == pytest.approx(6 / (6 * sigma), rel=1e-12)
    assert result.cpk == pytest.approx(3 / (3 * sigma), rel=1e-12)
    assert result.pp == pytest.approx(6 / (6 * overall), rel=1e-12)
    i_chart, mr_chart = result.charts
    assert (i_chart.chart, mr_chart.chart) == ("i", "mr")
    assert i_chart.center == 3.0
    assert i_chart.lcl == pytest.approx(3 - 3 * 1.75 / 1.128)
    assert i_chart.ucl == pytest.approx(3 + 3 * 1.75 / 1.128)
    assert mr_chart.center == pytest.approx(1.75)
    assert mr_chart.lcl == 0.0
    assert mr_chart.ucl == pytest.approx(3.267 * 1.75, rel=1e-4)


def test_unique_labels_are_individuals_in_given_order() -> None:
    by_label = capability([1.0, 3.0, 2.0, 5.0, 4.0], subgroups=["a", "b", "c", "d", "e"])
    assert by_label.method == "mr"
    assert by_label.sigma_within == pytest.approx(moving_range_sigma([1.0, 3.0, 2.0, 5.0, 4.0]))


def test_sbar_over_c4_by_hand() -> None:
    values = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]
    labels = [1, 1, 1, 2, 2, 2]
    c4_3 = math.sqrt(2 / 2) * math.gamma(1.5) / math.gamma(1.0)
    sigma = (1.0 + 2.0) / 2 / c4_3
    result = capability(values, subgroups=labels, lsl=0.0, usl=6.0, sigma_method="sbar")
    assert result.sigma_within == pytest.approx(sigma, rel=1e-12)
    assert result.cp == pytest.approx(6 / (6 * sigma), rel=1e-12)
    assert result.cpk == pytest.approx(3 / (3 * sigma), rel=1e-12)


def test_rbar_over_d2_by_hand() -> None:
    result = capability([1.0, 2.0, 3.0, 2.0, 4.0, 6.0], subgroups=[1, 1, 1, 2, 2, 2])
    assert result.sigma_within == pytest.approx(3.0 / 1.693, rel=1e-12)
    xbar, r_chart = result.charts
    assert xbar.ucl - xbar.center == pytest.approx(1.023 * 3.0, rel=5e-4)
    assert r_chart.ucl == pytest.approx(2.574 * 3.0, rel=5e-4)


def test_unequal_subgroup_sizes_follow_qcc_uwave() -> None:
    values = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 8.0]
    labels = ["x", "x", "x", "y", "y", "y", "y"]
    r_based = capability(values, subgroups=labels)
    assert r_based.sigma_within == pytest.approx((2 / 1.693 + 6 / 2.059) / 2, rel=1e-12)
    assert r_based.subgroup_size is None
    assert [(c.chart, c.subgroup_size) for c in r_based.charts] == [
        ("xbar", 3),
        ("r", 3),
        ("xbar", 4),
        ("r", 4),
    ]
    s_based = capability(values, subgroups=labels, sigma_method="sbar")
    expected = (1.0 / c4(3) + statistics.stdev([2.0, 4.0, 6.0, 8.0]) / c4(4)) / 2
    assert s_based.sigma_within == pytest.approx(expected, rel=1e-12)


def test_groups_follow_first_appearance() -> None:
    assert group_values([5.0, 1.0, 6.0, 2.0], ["late", "early", "late", "early"]) == [
        [5.0, 6.0],
        [1.0, 2.0],
    ]


def test_one_sided_specifications() -> None:
    values = [1.0, 3.0, 2.0, 5.0, 4.0]
    upper_only = capability(values, usl=6.0)
    assert upper_only.cp is None and upper_only.pp is None and upper_only.cpl is None
    assert upper_only.cpk == upper_only.cpu
    assert upper_only.ppk == upper_only.ppu
    lower_only = capability(values, lsl=0.0)
    assert lower_only.cp is None and lower_only.cpu is None
    assert lower_only.cpk == lower_only.cpl
    neither = capability(values)
    assert neither.cpk is None and neither.ppk is None


def test_to_dict_is_json_ready(phase_one) -> None:
    values, labels = phase_one
    data = capability(values, subgroups=labels, lsl=73.95, usl=74.05).to_dict()
    for key in ("cp", "cpk", "pp", "ppk", "sigma_within", "sigma_overall", "mean", "n"):
        assert key in data
    assert data["charts"][0] == {
        "chart": "xbar",
        "center": pytest.approx(74.001176),
        "lcl": pytest.approx(73.98805, abs=5e-6),
        "ucl": pytest.approx(74.01431, abs=1e-5),
        "subgroup_size": 5,
    }
    assert json.loads(json.dumps(data))["n"] == 125


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0]}, "at least 2 values"),
        ({"values": [1.0, 2.0], "lsl": 5.0, "usl": 5.0}, "must be greater than lsl"),
        ({"values": [1.0, 2.0], "lsl": 6.0, "usl": 5.0}, "must be greater than lsl"),
        ({"values": [1.0, math.nan]}, "finite"),
        ({"values": [1.0, 2.0], "subgroups": [1]}, "differ in length"),
        ({"values": [1.0, 2.0, 3.0], "subgroups": [1, 1, 2]}, "size 1 cannot be mixed"),
        ({"values": [1.0, 2.0], "sigma_method": "mad"}, "sigma method"),
        ({"values": [2.0, 2.0, 2.0]}, "no variation"),
    ],
)
@pytest.mark.parametrize("study", [capability, within_capability])
def test_invalid_input_raises(kwargs, message, study) -> None:
    kwargs = dict(kwargs)  # shared by both studies' runs
    values = kwargs.pop("values")
    with pytest.raises(ValueError, match=message):
        study(values, **kwargs)


def test_constant_subgroups_that_differ_have_no_within_variation() -> None:
    # σ_overall > 0, but every subgroup is constant: R̄ = 0, so Cp and Cpk are undefined.
    for study in (capability, within_capability):
        with pytest.raises(ValueError, match="no variation"):
            study([1.0, 1.0, 2.0, 2.0], subgroups=["a", "a", "b", "b"], lsl=0.0, usl=3.0)


def _within_by_hand(
    values: list[float], labels: list[int] | None, lsl: float | None, usl: float | None, method: str
) -> tuple[float, float | None, float | None] | str:
    """(σ_within, Cp, Cpk) from the textbook formulas, or the reason none exists."""
    if len(values) < 2:
        return "at least 2 values"
    if labels is None or len(set(labels)) == len(labels):
        sigma = statistics.fmean(abs(b - a) for a, b in itertools.pairwise(values)) / 1.128
    else:
        groups: dict[int, list[float]] = {}
        for value, label in zip(values, labels, strict=True):
            groups.setdefault(label, []).append(value)
        if any(len(g) == 1 for g in groups.values()):
            return "size 1 cannot be mixed"
        if method == "rbar":
            sigma = statistics.fmean((max(g) - min(g)) / d2(len(g)) for g in groups.values())
        else:
            sigma = statistics.fmean(statistics.stdev(g) / c4(len(g)) for g in groups.values())
    if sigma == 0:
        return "no variation"
    mean = math.fsum(values) / len(values)
    sides = [(usl - mean) / (3 * sigma)] if usl is not None else []
    sides += [(mean - lsl) / (3 * sigma)] if lsl is not None else []
    cp = (usl - lsl) / (6 * sigma) if usl is not None and lsl is not None else None
    return sigma, cp, (min(sides) if sides else None)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.sampled_from([9.8, 9.9, 10.0, 10.05, 10.1, 10.3]), min_size=1, max_size=24),
    labels=st.lists(st.integers(0, 5), min_size=24, max_size=24),
    individuals=st.booleans(),
    limits=st.sampled_from([(9.5, 10.5), (None, 10.5), (9.5, None), (None, None)]),
    method=st.sampled_from(["rbar", "sbar"]),
)
def test_within_capability_follows_the_textbook_formulas(
    values: list[float],
    labels: list[int],
    individuals: bool,
    limits: tuple[float | None, float | None],
    method: str,
) -> None:
    lsl, usl = limits
    groups = None if individuals else labels[: len(values)]
    expected = _within_by_hand(values, groups, lsl, usl, method)
    try:
        result = within_capability(
            values,
            subgroups=groups,
            lsl=lsl,
            usl=usl,
            sigma_method=method,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        assert isinstance(expected, str) and expected in str(exc)
        return
    assert not isinstance(expected, str), expected
    sigma, cp, cpk = expected
    assert result.sigma_within == pytest.approx(sigma, rel=1e-12)
    assert result.cp == (None if cp is None else pytest.approx(cp, rel=1e-12))
    assert result.cpk == (None if cpk is None else pytest.approx(cpk, rel=1e-12, abs=1e-12))
    full = capability(values, subgroups=groups, lsl=lsl, usl=usl, sigma_method=method)  # type: ignore[arg-type]
    assert (full.cp, full.cpk, full.sigma_within) == (result.cp, result.cpk, result.sigma_within)


def test_c4_exact_and_published() -> None:
    assert c4(2) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
    for n, published in {2: 0.7979, 5: 0.9400, 10: 0.9727, 25: 0.9896}.items():
        assert c4(n) == pytest.approx(published, abs=5e-5)


def _d2_by_integration(n: int) -> float:
    def integrand(x: float) -> float:
        phi = 0.5 * (1 + math.erf(x / math.sqrt(2)))
        return 1 - phi**n - (1 - phi) ** n

    steps, low, high = 4000, -12.0, 12.0
    h = (high - low) / steps
    total = integrand(low) + integrand(high)
    total += sum((4 if i % 2 else 2) * integrand(low + i * h) for i in range(1, steps))
    return total * h / 3


@pytest.mark.parametrize("n", range(2, 26))
def test_d2_table_agrees_with_its_definition(n: int) -> None:
    assert d2(n) == pytest.approx(_d2_by_integration(n), abs=5.1e-4)


@pytest.mark.parametrize(
    ("n", "column", "published"),
    [
        (2, "A2", 1.880),
        (5, "A2", 0.577),
        (10, "A2", 0.308),
        (25, "A2", 0.153),
        (2, "A3", 2.659),
        (5, "A3", 1.427),
        (25, "A3", 0.606),
        (5, "D3", 0.0),
        (7, "D3", 0.076),
        (10, "D3", 0.223),
        (2, "D4", 3.267),
        (5, "D4", 2.114),
        (25, "D4", 1.541),
        (5, "B3", 0.0),
        (6, "B3", 0.030),
        (10, "B3", 0.284),
        (2, "B4", 3.267),
        (5, "B4", 2.089),
        (25, "B4", 1.435),
    ],
)
def test_chart_constants_match_published_tables(n: int, column: str, published: float) -> None:
    assert getattr(control_constants(n), column) == pytest.approx(published, abs=1e-3)


def test_limit_helpers_by_hand() -> None:
    xbar, r_chart = xbar_r_limits(10.0, 2.0, 5)
    assert xbar.lcl == pytest.approx(10 - 6 / math.sqrt(5))
    assert r_chart.center == pytest.approx(2.326 * 2.0)
    i_chart, mr_chart = imr_limits(0.0, 1.0)
    assert (i_chart.lcl, i_chart.ucl) == (-3.0, 3.0)
    assert mr_chart.ucl == pytest.approx(3.267 * 1.128, rel=1e-4)
    with pytest.raises(ValueError, match="subgroup size"):
        xbar_r_limits(0.0, 1.0, 26)
    with pytest.raises(ValueError, match="at least 2 values"):
        sigma_within([[1.0, 2.0], [3.0]])


def _rule(points: list[float], rule: int) -> list[int]:
    return nelson_rules(points, center=0.0, sigma=1.0)[rule]


def test_rule_1_point_beyond_three_sigma() -> None:
    assert _rule([0.0, 0.5, 3.5, 0.0, -3.2], 1) == [2, 4]
    assert _rule([0.0, 3.0, -3.0, 2.9], 1) == []


def test_rule_2_nine_on_one_side() -> None:
    assert _rule([-0.5] + [0.5] * 9, 2) == [9]
    assert _rule([-0.5] + [0.5] * 8, 2) == []
    assert _rule([0.5] + [-0.5] * 10, 2) == [9, 10]
    assert _rule([0.5] * 4 + [0.0] + [0.5] * 4, 2) == []


def test_rule_3_six_trending() -> None:
    rising = [0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert _rule(rising, 3) == [6]
    assert _rule(rising[:-1], 3) == []
    assert _rule([-x for x in rising], 3) == [6]
    assert _rule([0.0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5], 3) == []


def test_rule_4_fourteen_alternating() -> None:
    zigzag = [0.1] + [0.1, -0.1] * 7
    assert _rule(zigzag, 4) == [14]
    assert _rule(zigzag[:-1], 4) == []


def test_rule_5_two_of_three_beyond_two_sigma() -> None:
    assert _rule([0.0, 2.5, 0.5, 2.5], 5) == [1, 3]
    assert _rule([0.0, 2.5, 0.5, 0.5, 2.5], 5) == []
    assert _rule([2.5, 0.0, -2.5], 5) == []
    assert _rule([0.0, -2.2, -2.4], 5) == [1, 2]


def test_rule_6_four_of_five_beyond_one_sigma() -> None:
    assert _rule([0.0, 1.5, 1.5, 0.5, 1.5, 1.5], 6) == [1, 2, 4, 5]
    assert _rule([0.0, 1.5, 1.5, 0.5, 1.5, 0.5], 6) == []
    assert _rule([1.5, -1.5, 1.5, -1.5, 1.5], 6) == []


def test_rule_7_fifteen_within_one_sigma() -> None:
    hugging = [2.0] + [0.5, -0.5, 0.2] * 5
    assert _rule(hugging, 7) == [15]
    assert _rule(hugging[:-1], 7) == []


def test_rule_8_eight_beyond_one_sigma_on_both_sides() -> None:
    mixture = [0.0] + [1.5, -1.5] * 4
    assert _rule(mixture, 8) == [8]
    assert _rule(mixture[:-1], 8) == []
    assert _rule([0.0] + [1.5] * 8, 8) == []


def test_nelson_rules_validates_sigma() -> None:
    with pytest.raises(ValueError, match="sigma"):
        nelson_rules([1.0, 2.0], center=0.0, sigma=0.0)

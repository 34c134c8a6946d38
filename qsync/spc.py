"""Statistical process control: Shewhart chart limits, capability indices, Nelson rules.

Pure functions over plain Python sequences.  Conventions follow R's qcc package and
Minitab so that figures can be compared directly:

* within-subgroup σ is R̄/d2 by default, S̄/c4 on request, and MR̄/d2(2) = MR̄/1.128 for
  individual values (subgroup size 1).  With unequal subgroup sizes σ is the unweighted
  average of Rᵢ/d2(nᵢ) (qcc ``sd.xbar`` "UWAVE-R") or of Sᵢ/c4(nᵢ) ("UWAVE-SD");
* overall σ (for Pp, Ppk) is the sample standard deviation with an n − 1 denominator and
  no c4 correction;
* d2 and d3 are the published tables shipped with qcc (d2 to three decimals, d3 to seven);
  c4 is computed exactly; A2, A3, D3, D4, B3 and B4 are derived from them, so they agree
  with printed tables to the printed precision.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

__all__ = [
    "Capability",
    "ChartLimits",
    "ControlConstants",
    "WithinCapability",
    "c4",
    "capability",
    "control_constants",
    "d2",
    "d3",
    "group_values",
    "imr_limits",
    "moving_range_sigma",
    "nelson_rules",
    "sigma_within",
    "within_capability",
    "xbar_r_limits",
    "xbar_s_limits",
]

SigmaMethod = Literal["rbar", "sbar"]

_D2 = (
    1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078, 3.173, 3.258, 3.336,
    3.407, 3.472, 3.532, 3.588, 3.640, 3.689, 3.735, 3.778, 3.819, 3.858, 3.895, 3.931,
)  # fmt: skip
_D3 = (
    0.8525033, 0.8883697, 0.8798108, 0.8640855, 0.8480442, 0.8332108, 0.8198378,
    0.8078413, 0.7970584, 0.7873230, 0.7784873, 0.7704257, 0.7630330, 0.7562217,
    0.7499188, 0.7440627, 0.7386021, 0.7334929, 0.7286980, 0.7241851, 0.7199267,
    0.7158987, 0.7120802, 0.7084528,
)  # fmt: skip
_MAX_TABLE_N = 25


def _check_table_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= _MAX_TABLE_N:
        raise ValueError(f"subgroup size must be an integer from 2 to {_MAX_TABLE_N}, got {n!r}")


def d2(n: int) -> float:
    """Return d2(n), the mean of the relative range R/σ of n normal values.

    Used to turn an average range into σ (σ̂ = R̄/d2).  Values are the published
    three-decimal table for n = 2..25 that qcc and most textbooks use.

    >>> d2(5)
    2.326
    """
    _check_table_n(n)
    return _D2[n - 2]


def d3(n: int) -> float:
    """Return d3(n), the standard deviation of the relative range R/σ of n normal values.

    Sets the width of the R chart (σ_R = d3·σ).  Table values for n = 2..25 as in qcc.

    >>> d3(2)
    0.8525033
    """
    _check_table_n(n)
    return _D3[n - 2]


def c4(n: int) -> float:
    """Return c4(n) = E[s]/σ for samples of n normal values, computed exactly.

    c4(n) = √(2/(n−1)) · Γ(n/2) / Γ((n−1)/2); used for σ̂ = S̄/c4.

    >>> round(c4(5), 4)
    0.94
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"subgroup size must be an integer of at least 2, got {n!r}")
    return math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


@dataclass(frozen=True)
class ControlConstants:
    """Shewhart chart constants for one subgroup size (names as in the textbooks)."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    D3: float
    D4: float
    B3: float
    B4: float


def control_constants(n: int) -> ControlConstants:
    """Return the standard X̄-R and X̄-S chart constants for subgroup size n (2..25).

    A2 = 3/(d2√n), D3/D4 = 1 ∓ 3·d3/d2 (D3 floored at 0), A3 = 3/(c4√n),
    B3/B4 = 1 ∓ 3·√(1−c4²)/c4 (B3 floored at 0).

    >>> k = control_constants(5)
    >>> round(k.A2, 3), round(k.D4, 3), round(k.A3, 3), round(k.B4, 3)
    (0.577, 2.114, 1.427, 2.089)
    """
    _check_table_n(n)
    c = c4(n)
    r_spread = 3 * d3(n) / d2(n)
    s_spread = 3 * math.sqrt(1 - c * c) / c
    return ControlConstants(
        n=n,
        d2=d2(n),
        d3=d3(n),
        c4=c,
        A2=3 / (d2(n) * math.sqrt(n)),
        A3=3 / (c * math.sqrt(n)),
        D3=max(0.0, 1 - r_spread),
        D4=1 + r_spread,
        B3=max(0.0, 1 - s_spread),
        B4=1 + s_spread,
    )


@dataclass(frozen=True)
class ChartLimits:
    """Centre line and 3σ control limits of one chart.

    ``chart`` is "xbar", "r", "s", "i" or "mr"; ``subgroup_size`` is the size the limits
    were computed for (1 for individuals charts).
    """

    chart: str
    center: float
    lcl: float
    ucl: float
    subgroup_size: int


def xbar_r_limits(center: float, sigma: float, n: int) -> tuple[ChartLimits, ChartLimits]:
    """Return X̄ and R chart limits from the process centre and within-subgroup σ.

    X̄: centre ± 3σ/√n (= x̿ ± A2·R̄ when σ = R̄/d2).  R: centre d2·σ (= R̄), limits
    (d2 ∓ 3·d3)·σ with the lower one floored at 0 (= D3·R̄, D4·R̄).

    >>> xbar, r = xbar_r_limits(10.0, 1.0, 4)
    >>> (xbar.lcl, xbar.ucl, round(r.ucl, 4))
    (8.5, 11.5, 4.6984)
    """
    _check_table_n(n)
    half_width = 3 * sigma / math.sqrt(n)
    return (
        ChartLimits("xbar", center, center - half_width, center + half_width, n),
        ChartLimits(
            "r",
            d2(n) * sigma,
            max(0.0, (d2(n) - 3 * d3(n)) * sigma),
            (d2(n) + 3 * d3(n)) * sigma,
            n,
        ),
    )


def xbar_s_limits(center: float, sigma: float, n: int) -> tuple[ChartLimits, ChartLimits]:
    """Return X̄ and S chart limits from the process centre and within-subgroup σ.

    X̄: centre ± 3σ/√n (= x̿ ± A3·S̄ when σ = S̄/c4).  S: centre c4·σ (= S̄), limits
    c4·σ ∓ 3σ√(1−c4²) with the lower one floored at 0 (= B3·S̄, B4·S̄).

    >>> xbar, s = xbar_s_limits(10.0, 1.0, 4)
    >>> (xbar.lcl, s.lcl, round(s.ucl, 4))
    (8.5, 0.0, 2.0877)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"subgroup size must be an integer of at least 2, got {n!r}")
    half_width = 3 * sigma / math.sqrt(n)
    c = c4(n)
    spread = 3 * sigma * math.sqrt(1 - c * c)
    return (
        ChartLimits("xbar", center, center - half_width, center + half_width, n),
        ChartLimits("s", c * sigma, max(0.0, c * sigma - spread), c * sigma + spread, n),
    )


def imr_limits(center: float, sigma: float) -> tuple[ChartLimits, ChartLimits]:
    """Return individuals (I) and moving-range (MR) chart limits.

    I: centre ± 3σ, i.e. x̄ ± 3·MR̄/1.128 when σ = MR̄/1.128.  MR: centre MR̄ = 1.128·σ,
    LCL 0, UCL D4(2)·MR̄ = 3.267·MR̄.

    >>> i_chart, mr_chart = imr_limits(5.0, 1.0)
    >>> (i_chart.lcl, i_chart.ucl, mr_chart.center, round(mr_chart.ucl, 3))
    (2.0, 8.0, 1.128, 3.686)
    """
    mr_bar = d2(2) * sigma
    return (
        ChartLimits("i", center, center - 3 * sigma, center + 3 * sigma, 1),
        ChartLimits("mr", mr_bar, 0.0, control_constants(2).D4 * mr_bar, 1),
    )


def _finite_values(values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError("values must be finite numbers")
    return out


def group_values(values: Sequence[float], labels: Sequence[Hashable]) -> list[list[float]]:
    """Group values by a parallel sequence of subgroup labels.

    Subgroups are returned in order of first appearance of their label, values inside a
    subgroup in their original order.

    >>> group_values([1.0, 2.0, 3.0, 4.0], ["b", "a", "b", "a"])
    [[1.0, 3.0], [2.0, 4.0]]
    """
    if len(values) != len(labels):
        raise ValueError(
            f"values and subgroup labels differ in length ({len(values)} vs {len(labels)})"
        )
    groups: dict[Hashable, list[float]] = {}
    for value, label in zip(_finite_values(values), labels, strict=True):
        groups.setdefault(label, []).append(value)
    return list(groups.values())


def moving_range_sigma(values: Sequence[float]) -> float:
    """Return σ̂ = MR̄/d2(2) = MR̄/1.128 from consecutive individual values.

    MR̄ is the mean absolute difference of neighbouring values (qcc ``sd.xbar.one``
    "MR", Minitab's default for individuals).

    >>> round(moving_range_sigma([1.0, 3.0, 2.0, 5.0, 4.0]), 6)
    1.551418
    """
    data = _finite_values(values)
    if len(data) < 2:
        raise ValueError("at least 2 values are required for a moving range")
    mr_bar = statistics.fmean(abs(b - a) for a, b in itertools.pairwise(data))
    return mr_bar / d2(2)


def sigma_within(groups: Sequence[Sequence[float]], method: SigmaMethod = "rbar") -> float:
    """Return the within-subgroup σ̂ from subgroups of two or more values.

    ``method="rbar"``: mean of Rᵢ/d2(nᵢ), which is R̄/d2 for equal sizes (qcc
    "UWAVE-R"); sizes up to 25.  ``method="sbar"``: mean of Sᵢ/c4(nᵢ), S̄/c4 for equal
    sizes (qcc "UWAVE-SD").  Both are unweighted averages across subgroups.

    >>> round(sigma_within([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]), 6)
    1.772002
    >>> round(sigma_within([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], "sbar"), 6)
    1.692569
    """
    if method not in ("rbar", "sbar"):
        raise ValueError(f"sigma method must be 'rbar' or 'sbar', got {method!r}")
    if not groups:
        raise ValueError("at least one subgroup is required")
    data = [_finite_values(g) for g in groups]
    if any(len(g) < 2 for g in data):
        raise ValueError("every subgroup needs at least 2 values for a within-subgroup sigma")
    if method == "rbar":
        return statistics.fmean((max(g) - min(g)) / d2(len(g)) for g in data)
    return statistics.fmean(statistics.stdev(g) / c4(len(g)) for g in data)


@dataclass(frozen=True)
class Capability:
    """Capability study result: σ estimates, Cp/Cpk and Pp/Ppk families, chart limits.

    Indices that need a missing specification limit are None.  ``subgroup_size`` is None
    when subgroup sizes differ; ``charts`` then holds one pair of limits per size.
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None
    pp: float | None
    ppk: float | None
    ppu: float | None
    ppl: float | None
    lsl: float | None
    usl: float | None
    subgroup_size: int | None
    n_subgroups: int
    method: str
    charts: tuple[ChartLimits, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready dictionary (charts as a list of dicts)."""
        out = asdict(self)
        out["charts"] = [asdict(chart) for chart in self.charts]
        return out


def _indices(
    mean: float, sigma: float, lsl: float | None, usl: float | None
) -> tuple[float | None, float | None, float | None, float | None]:
    upper = (usl - mean) / (3 * sigma) if usl is not None else None
    lower = (mean - lsl) / (3 * sigma) if lsl is not None else None
    spread = (usl - lsl) / (6 * sigma) if usl is not None and lsl is not None else None
    sides = [v for v in (upper, lower) if v is not None]
    return spread, (min(sides) if sides else None), upper, lower


@dataclass(frozen=True)
class WithinCapability:
    """The Cp family alone, from the within-subgroup σ: what a lot's Cpk needs.

    :func:`capability` extends it with the overall σ (Pp, Ppk) and chart limits; the
    shared figures are the same floats. ``subgroup_sizes`` are the distinct sizes, sorted.
    """

    n: int
    mean: float
    sigma_within: float
    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None
    subgroup_sizes: tuple[int, ...]
    n_subgroups: int
    method: str


def within_capability(
    values: Sequence[float],
    *,
    subgroups: Sequence[Hashable] | None = None,
    lsl: float | None = None,
    usl: float | None = None,
    sigma_method: SigmaMethod = "rbar",
) -> WithinCapability:
    """Compute Cp, Cpk, Cpu and Cpl with the within-subgroup σ (see :func:`capability`).

    The same conventions and the same errors as :func:`capability`, without the overall σ
    and the chart limits, whose exact sample standard deviation costs most of a capability
    study: scoring computes one Cpk per lot and characteristic.

    >>> result = within_capability([1.0, 3.0, 2.0, 5.0, 4.0], lsl=0.0, usl=6.0)
    >>> result.method, round(result.cp, 4), round(result.cpk, 4)
    ('mr', 0.6446, 0.6446)
    """
    data = _finite_values(values)
    if len(data) < 2:
        raise ValueError("at least 2 values are required")
    if lsl is not None and usl is not None and usl <= lsl:
        raise ValueError(f"usl ({usl}) must be greater than lsl ({lsl})")
    if sigma_method not in ("rbar", "sbar"):
        raise ValueError(f"sigma method must be 'rbar' or 'sbar', got {sigma_method!r}")

    groups = group_values(data, subgroups) if subgroups is not None else [[v] for v in data]
    sizes = tuple(sorted({len(g) for g in groups}))
    if sizes == (1,):
        method = "mr"
        sigma = moving_range_sigma(data)
    elif 1 in sizes:
        raise ValueError("subgroups of size 1 cannot be mixed with larger subgroups")
    else:
        method = sigma_method
        sigma = sigma_within(groups, sigma_method)
    # Values that are all equal give σ_within = 0 too, so this also covers σ_overall = 0.
    if sigma == 0:
        raise ValueError("the data show no variation; capability indices are undefined")

    mean = statistics.fmean(data)
    cp, cpk, cpu, cpl = _indices(mean, sigma, lsl, usl)
    return WithinCapability(
        n=len(data),
        mean=mean,
        sigma_within=sigma,
        cp=cp,
        cpk=cpk,
        cpu=cpu,
        cpl=cpl,
        subgroup_sizes=sizes,
        n_subgroups=len(groups),
        method=method,
    )


def capability(
    values: Sequence[float],
    *,
    subgroups: Sequence[Hashable] | None = None,
    lsl: float | None = None,
    usl: float | None = None,
    sigma_method: SigmaMethod = "rbar",
) -> Capability:
    """Compute process capability (Cp, Cpk, Pp, Ppk, …) and the matching chart limits.

    ``subgroups`` is an optional parallel sequence of subgroup labels; values are grouped
    by label in order of first appearance.  Without labels, or when every subgroup has
    one value, σ_within is MR̄/1.128 in the given order and the charts are I-MR.
    Otherwise σ_within is R̄/d2 (``sigma_method="rbar"``, X̄-R charts) or S̄/c4
    (``"sbar"``, X̄-S charts), averaged over subgroups as qcc does for unequal sizes.
    Unequal sizes give one pair of charts per size, each centred on d2(n)·σ or c4(n)·σ
    (Minitab's convention; qcc centres on the size-weighted mean range instead).

    Cp = (USL − LSL)/6σ_within, Cpu = (USL − x̄)/3σ_within, Cpl = (x̄ − LSL)/3σ_within,
    Cpk = min(Cpu, Cpl); Pp, Ppu, Ppl, Ppk likewise with σ_overall, the sample standard
    deviation of all values (n − 1 denominator).  x̄ is the mean of all values.  With a
    one-sided specification Cp and Pp are None and Cpk/Ppk are the available side.

    >>> result = capability([1.0, 3.0, 2.0, 5.0, 4.0], lsl=0.0, usl=6.0)
    >>> result.method, round(result.cp, 4), round(result.cpk, 4), round(result.pp, 4)
    ('mr', 0.6446, 0.6446, 0.6325)
    """
    within = within_capability(
        values, subgroups=subgroups, lsl=lsl, usl=usl, sigma_method=sigma_method
    )
    mean, sigma, sizes = within.mean, within.sigma_within, within.subgroup_sizes
    sigma_overall = statistics.stdev(_finite_values(values))
    charts: tuple[ChartLimits, ...]
    if within.method == "mr":
        charts = imr_limits(mean, sigma)
    else:
        limits = xbar_r_limits if within.method == "rbar" else xbar_s_limits
        charts = tuple(chart for n in sizes for chart in limits(mean, sigma, n))

    pp, ppk, ppu, ppl = _indices(mean, sigma_overall, lsl, usl)
    return Capability(
        n=within.n,
        mean=mean,
        sigma_within=sigma,
        sigma_overall=sigma_overall,
        cp=within.cp,
        cpk=within.cpk,
        cpu=within.cpu,
        cpl=within.cpl,
        pp=pp,
        ppk=ppk,
        ppu=ppu,
        ppl=ppl,
        lsl=lsl,
        usl=usl,
        subgroup_size=sizes[0] if len(sizes) == 1 else None,
        n_subgroups=within.n_subgroups,
        method=within.method,
        charts=charts,
    )


def _run_ends(flags: Sequence[bool], length: int) -> list[int]:
    ends: list[int] = []
    run = 0
    for index, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= length:
            ends.append(index)
    return ends


def _k_of_m(z: Sequence[float], k: int, m: int, beyond: float) -> list[int]:
    flagged: set[int] = set()
    for end in range(m - 1, len(z)):
        window = range(end - m + 1, end + 1)
        for sign in (1, -1):
            outside = [i for i in window if sign * z[i] > beyond]
            if len(outside) >= k:
                flagged.update(outside)
    return sorted(flagged)


def nelson_rules(points: Sequence[float], center: float, sigma: float) -> dict[int, list[int]]:
    """Test plotted points against the eight Nelson (1984) rules.

    ``center`` and ``sigma`` are those of the plotted statistic: for an X̄ chart pass
    σ_within/√n, for an individuals chart σ_within.  Zones are measured in z = (x −
    centre)/σ: "beyond kσ" means |z| > k, "within 1σ" means |z| ≤ 1, and a point exactly
    on the centre line is on neither side.

    1. one point beyond 3σ;
    2. nine points in a row on the same side of the centre;
    3. six points in a row steadily increasing or decreasing (equal neighbours break it);
    4. fourteen points in a row alternating up and down;
    5. two of three consecutive points beyond 2σ on the same side;
    6. four of five consecutive points beyond 1σ on the same side;
    7. fifteen points in a row within 1σ (either side);
    8. eight points in a row beyond 1σ, none within 1σ, with points on both sides.

    Returns ``{rule: sorted 0-based indices}``.  Rule 1 flags the offending points.  Run
    rules 2, 3, 4, 7 and 8 flag the point that completes the run, and every later point
    that extends it (ten points on one side flag indices 8 and 9).  Rules 5 and 6 flag
    the points that are themselves beyond the zone in any qualifying window, not the
    point inside it.

    >>> nelson_rules([0.0, 3.5, 0.0], center=0.0, sigma=1.0)[1]
    [1]
    """
    if not math.isfinite(sigma) or sigma <= 0:
        raise ValueError("sigma must be a positive finite number")
    if not math.isfinite(center):
        raise ValueError("center must be a finite number")
    x = _finite_values(points)
    z = [(v - center) / sigma for v in x]
    steps = [b - a for a, b in itertools.pairwise(x)]

    def both_directions(flags_up: list[bool], flags_down: list[bool], length: int) -> list[int]:
        return sorted(_run_ends(flags_up, length) + _run_ends(flags_down, length))

    rule3 = [i + 1 for i in both_directions([s > 0 for s in steps], [s < 0 for s in steps], 5)]
    alternating = [i > 0 and steps[i] * steps[i - 1] < 0 for i in range(len(steps))]
    rule4 = [i + 1 for i in _run_ends(alternating, 12)]
    beyond_one = [abs(v) > 1 for v in z]
    rule8 = [
        i
        for i in _run_ends(beyond_one, 8)
        if any(v > 0 for v in z[i - 7 : i + 1]) and any(v < 0 for v in z[i - 7 : i + 1])
    ]
    return {
        1: [i for i, v in enumerate(z) if abs(v) > 3],
        2: both_directions([v > 0 for v in z], [v < 0 for v in z], 9),
        3: rule3,
        4: rule4,
        5: _k_of_m(z, 2, 3, 2.0),
        6: _k_of_m(z, 4, 5, 1.0),
        7: _run_ends([not b for b in beyond_one], 15),
        8: rule8,
    }

"""Commands for scoring suppliers: ``score``, ``suppliers``, ``capability`` and ``plan``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qsync.cli.app import LangOption, app, current_workspace, stdout
from qsync.errors import ExitCode, SupplierFileError, UsageError

if TYPE_CHECKING:
    from qsync.i18n import Catalogue
    from qsync.score import MonthlyScorecards

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]


def _check_format(output: str) -> None:
    if output not in ("table", "json"):
        raise UsageError(f"unknown format '{output}'", hint="Use table or json.")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ranking_table(cards: MonthlyScorecards, catalogue: Catalogue) -> Any:
    from rich.table import Table

    text = catalogue.text
    table = Table(title=text("score", "ranking-title", month=cards.month), title_justify="left")
    for key in ("rank", "supplier", "score", "grade", "lots", "acceptance", "ppm", "otd", "risk"):
        table.add_column(
            text("score", f"col-{key}"), justify="left" if key == "supplier" else "right"
        )
    for entry in cards.ranking():
        card = cards.get(entry.supplier_id)
        assert card is not None
        data = card.to_dict()
        rate, otd = data["lot_acceptance_rate"], data["otd"]
        table.add_row(
            str(entry.rank or "—"),
            entry.supplier_id,
            _number(entry.score, 1),
            entry.grade or "—",
            str(data["lots"] if data["lots"] is not None else "—"),
            "—" if rate is None else f"{rate:.1%}",
            _number(data["ppm"], 0),
            "—" if otd is None else f"{otd:.1%}",
            _number(card.risk.coefficient, 2),
        )
    return table


@app.command()
def score(
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: last month).")] = None,
    output: FormatOption = "table",
    explain: Annotated[
        str | None, typer.Option(help="Show one supplier's metrics, points and source rows.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and show; store and send nothing.")
    ] = False,
    alerts: Annotated[
        bool, typer.Option(help="Then raise, escalate and send alerts (the nightly run).")
    ] = True,
    now: Annotated[
        str | None, typer.Option(help="Time of the run for deadlines, e.g. 2026-10-31T22:00.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Score every supplier for a month, keep the scorecards, print the ranking, then raise
    the month's risk alerts and send what is due (`--no-alerts` to skip, `--dry-run` to show
    what would be stored and sent without doing it).

    Re-running a month replaces its scorecards; an alert still open is never raised or sent
    twice. Suppliers without activity get no scorecard.

    Example: qsync score --month 2026-10
    """
    from qsync.i18n import Catalogue
    from qsync.score import load_scorecard_rules
    from qsync.score.run import default_month, score_store
    from qsync.store import open_store

    _check_format(output)
    ws = current_workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    rules = load_scorecard_rules(ws.rules_dir / "scorecard.yaml", "rules/scorecard.yaml")
    store = open_store(ws)
    chosen = month or default_month()
    run = score_store(store, chosen, rules, save=not dry_run and explain is None)
    if explain is not None:
        _explain(run.cards, explain, store, rules, output, catalogue)
        return
    if output == "json":
        _print_json(run.cards.to_dict())
    else:
        stdout.print(_ranking_table(run.cards, catalogue))
        if not dry_run:
            stdout.print(
                catalogue.text("score", "scored", month=chosen, count=len(run.cards.scorecards))
            )
    if alerts:
        _nightly(chosen, now, dry_run, lang, quiet=output == "json")


def _nightly(month: str, now: str | None, dry_run: bool, lang: str | None, quiet: bool) -> None:
    """The alert step of the nightly run, after scoring (see ``qsync alerts run``)."""
    from qsync.alerts.nightly import nightly
    from qsync.cli.alerts import Words, _now, _setup, print_nightly

    ws, rules, catalogue = _setup(lang)
    words = Words(catalogue)
    result = nightly(ws, month, now=_now(now, rules, words), dry_run=dry_run)
    if not quiet:
        print_nightly(result, ws, words)


def _explain(
    cards: MonthlyScorecards,
    supplier: str,
    store: Any,
    rules: Any,
    output: str,
    catalogue: Catalogue,
) -> None:
    from rich.table import Table

    from qsync.score import explain
    from qsync.score.run import store_tables

    card = cards.get(supplier)
    if card is None:
        raise UsageError(
            f"{supplier} has no scorecard for {cards.month} (no lots received or deliveries due)",
            reference="no-scorecard",
        )
    explanation = explain(card, store_tables(store), rules)
    if output == "json":
        _print_json(explanation.to_dict())
        return
    text, lang = catalogue.text, catalogue.lang
    data = card.to_dict()
    table = Table(title=text("score", "explain-title", supplier=supplier, month=cards.month))
    for key in ("metric", "value", "points", "weight", "rows"):
        table.add_column(
            text("score", f"col-{key}"), justify="left" if key == "metric" else "right"
        )
    for result in data["metrics"].values():
        if not result.get("weight"):
            continue  # counts shown for context only; the weighted metrics make the score
        source = result.get("source") or {}
        table.add_row(
            result["name"][lang],
            _shown(result.get("value")),
            _number(result.get("points"), 1),
            f"{result['weight']:g}",
            "" if source.get("rows") is None else str(source["rows"]),
        )
    stdout.print(table)
    stdout.print(text("score", "score-line", score=_number(card.score, 2), grade=card.grade or "—"))
    if card.actions:
        separator = text("plan", "list-separator")
        actions = separator.join(action.in_lang(lang) for action in card.actions)
        stdout.print(text("score", "grade-actions", grade=card.grade, actions=actions))
    risk = data["risk"]
    portrait = Table(
        title=text(
            "score",
            "portrait-title",
            coefficient=_number(risk["coefficient"], 2),
            level=(risk["level_name"] or {}).get(lang, "—"),
        )
    )
    for key in ("factor", "risk", "weight", "contribution"):
        portrait.add_column(
            text("score", f"col-{key}"), justify="left" if key == "factor" else "right"
        )
    for factor in risk["contributions"].values():
        portrait.add_row(
            factor["name"][lang],
            _number(factor["risk"], 2),
            f"{factor['weight']:g}",
            _number(factor["contribution"], 3),
        )
    stdout.print(portrait)
    for name, rows in explanation.sources.items():
        stdout.print(_source_rows(name, rows, catalogue))


EXPLAIN_ROWS = 20
"""Source rows listed per table by ``score --explain`` (JSON lists them all)."""


def _source_rows(table: str, rows: Any, catalogue: Catalogue) -> Any:
    """One source table's rows behind the figures, each with the file and row it came from.

    Columns empty in every row are left out; the provenance columns become a "file" column
    (``iqc_oct.xlsx › 来料检验``, cut short on a narrow terminal) and a "row" column;
    JSON keeps every column in full.
    """
    from rich.table import Table

    from qsync.score.tables import PROVENANCE

    text = catalogue.text
    title = text("score", "sources", table=table, rows=rows.height)
    if rows.is_empty():
        return title
    columns = [
        c for c in rows.columns if c not in PROVENANCE and rows[c].null_count() < rows.height
    ]
    with_origin = "_file" in rows.columns and rows["_file"].null_count() < rows.height
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column)
    if with_origin:
        shown.add_column(text("score", "col-file"), no_wrap=True, overflow="ellipsis", max_width=32)
        shown.add_column(text("score", "col-row"), no_wrap=True, justify="right")
    for row in rows.head(EXPLAIN_ROWS).iter_rows(named=True):
        cells = [_shown(row[c]) for c in columns]
        if with_origin:
            cells += [_origin_file(row, catalogue), _shown(row.get("_row"))]
        shown.add_row(*cells)
    if rows.height > EXPLAIN_ROWS:
        shown.caption = text("score", "more-rows", rows=rows.height - EXPLAIN_ROWS)
    return shown


def _origin_file(row: dict[str, Any], catalogue: Catalogue) -> str:
    """The file a stored row came from, with its sheet or page: ``iqc_oct.xlsx › 来料检验``."""
    parts = [str(row.get("_file") or "—")]
    if row.get("_sheet"):
        parts.append(str(row["_sheet"]))
    if row.get("_page") is not None:
        parts.append(catalogue.text("score", "origin-page", page=row["_page"]))
    return " › ".join(parts)


def _shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


@app.command()
def suppliers(
    output: FormatOption = "table",
    lang: LangOption = None,
) -> None:
    """List suppliers with their latest grade and its trend over the stored months.

    Example: qsync suppliers --format json
    """
    from rich.table import Table

    from qsync.i18n import Catalogue
    from qsync.score.run import latest_grades
    from qsync.store import open_store

    _check_format(output)
    ws = current_workspace()
    catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
    rows = latest_grades(open_store(ws))
    if output == "json":
        _print_json({"suppliers": [asdict(r) for r in rows]})
        return
    text = catalogue.text
    table = Table()
    for key in ("supplier", "name", "month", "score", "grade"):
        table.add_column(text("score", f"col-{key}"))
    months = rows[0].months if rows else []
    trend = text("score", "col-trend-months", first=months[0], last=months[-1]) if months else ""
    table.add_column(trend or text("score", "col-trend"))
    for row in rows:
        table.add_row(
            row.supplier_id,
            row.name or "",
            row.month or "—",
            _number(row.score, 1),
            row.grade or "—",
            " → ".join(g or "·" for g in row.grades),
        )
    stdout.print(table)


@app.command()
def capability(
    file: Annotated[
        Path | None, typer.Argument(help="A CSV or Parquet file of measurements.")
    ] = None,
    value: Annotated[str, typer.Option(help="Column holding the measured values.")] = "value",
    subgroup: Annotated[str | None, typer.Option(help="Column holding subgroup labels.")] = None,
    lsl: Annotated[float | None, typer.Option(help="Lower specification limit.")] = None,
    usl: Annotated[float | None, typer.Option(help="Upper specification limit.")] = None,
    sigma: Annotated[str, typer.Option(help="Within sigma: rbar, sbar.")] = "rbar",
    supplier: Annotated[str | None, typer.Option(help="Stored measurements of a supplier.")] = None,
    part: Annotated[str | None, typer.Option(help="... of a part.")] = None,
    characteristic: Annotated[str | None, typer.Option(help="... of a characteristic.")] = None,
    output: FormatOption = "table",
) -> None:
    """Cp, Cpk, Pp, Ppk and control limits of a measurement series (as Minitab and qcc).

    Within-subgroup sigma is R̄/d2 (or S̄/c4 with --sigma sbar; MR̄/1.128 without subgroups);
    overall sigma is the sample standard deviation (n−1).

    Example: qsync capability rings.csv --value diameter --subgroup subgroup --lsl 73.95 --usl 74.05
    """
    from qsync.score.run import measurement_series
    from qsync.spc import capability as compute

    _check_format(output)
    if sigma not in ("rbar", "sbar"):
        raise UsageError(f"unknown sigma method '{sigma}'", hint="Use rbar or sbar.")
    if file is None:
        from qsync.store import open_store

        if not (supplier and part and characteristic):
            raise UsageError(
                "give a measurement file, or --supplier, --part and --characteristic",
                reference="no-measurements",
            )
        series = measurement_series(open_store(current_workspace()), supplier, part, characteristic)
        values, groups = series.values, series.subgroups
        lsl = series.lsl if lsl is None else lsl
        usl = series.usl if usl is None else usl
    else:
        from qsync.score.run import read_series

        values, groups = read_series(file, value, subgroup)
    if lsl is not None and usl is not None and usl <= lsl:
        raise UsageError(
            f"--usl ({usl}) must be greater than --lsl ({lsl})", reference="bad-limits"
        )
    try:
        result = compute(values, subgroups=groups, lsl=lsl, usl=usl, sigma_method=sigma)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SupplierFileError(
            f"no capability from these measurements: {exc}",
            reference="capability-undefined",
            location=str(file) if file else f"{supplier} {part} {characteristic}",
            hint="Capability needs 2 or more finite values that vary: subgroups of 2 to 25 "
            "values, or individual values.",
        ) from None
    data = result.to_dict()
    if output == "json":
        _print_json(data)
        return
    for key in ("n", "mean", "sigma_within", "sigma_overall", "cp", "cpk", "pp", "ppk"):
        shown = data.get(key)
        figure = _number(shown, 4) if isinstance(shown, float) else str(shown)
        stdout.print(f"{key:14} {figure}")
    charts: list[dict[str, Any]] = data.get("charts", [])  # type: ignore[assignment]
    for chart in charts:
        limits = (_number(chart[k], 4) for k in ("lcl", "center", "ucl"))
        stdout.print(f"{chart['chart']:14} LCL {{}}  CL {{}}  UCL {{}}".format(*limits))


@app.command()
def plan(
    lot_size: Annotated[int | None, typer.Option(help="Lot size.")] = None,
    aql: Annotated[float | None, typer.Option(help="AQL (percent nonconforming).")] = None,
    level: Annotated[
        str | None, typer.Option(help="Inspection level: S-1..S-4, I, II (default), III.")
    ] = None,
    severity: Annotated[
        str | None, typer.Option(help="normal (default), tightened or reduced.")
    ] = None,
    supplier: Annotated[str | None, typer.Option(help="Use this supplier-part's history.")] = None,
    part: Annotated[str | None, typer.Option(help="Part number (with --supplier).")] = None,
    output: FormatOption = "table",
    lang: LangOption = None,
) -> None:
    """The ISO 2859-1:1999 single sampling plan for a lot (arrows followed, switching applied).

    With --supplier and --part the severity comes from that supplier-part's lot history, the
    inspection level and AQL from its material class (rules/materials.yaml), and the lot
    size, unless given, from its last lot; the output says why, and who must approve a
    conditional release (特采) of the class.

    Example: qsync plan --lot-size 1250 --aql 0.65 --level II
    """
    from qsync import sampling

    _check_format(output)
    approvers: list[str] = []
    if supplier or part:
        if not (supplier and part):
            raise UsageError("--supplier and --part go together", reference="bad-usage")
        if aql is not None or level is not None or severity is not None:
            raise UsageError(
                "--aql, --level and --severity do not go with --supplier/--part",
                reference="bad-usage",
                hint="The material class gives the level and AQL; the lot history the severity.",
            )
        from qsync.score import load_material_rules, plan_for
        from qsync.score.run import store_tables
        from qsync.store import open_store

        ws = current_workspace()
        materials = load_material_rules(ws.rules_dir / "materials.yaml", "rules/materials.yaml")
        decision = plan_for(supplier, part, lot_size, store_tables(open_store(ws)), materials)
        data: dict[str, Any] = decision.to_dict()
        language = lang or ws.settings.lang
        release = materials.classes[decision.material_class].conditional_release
        approvers = [role.name.in_lang(language) for role in release]
    else:
        if aql is None or lot_size is None:
            raise UsageError(
                "--lot-size and --aql are needed without --supplier/--part",
                reference="bad-usage",
            )
        try:
            data = sampling.plan(lot_size, aql, level or "II", severity or "normal").to_dict()
        except ValueError as exc:
            raise UsageError(str(exc), reference="bad-plan") from None
    if output == "json":
        _print_json(data)
        return
    shown = data.get("plan", data) or {"severity": data.get("severity")}
    for key in (
        "code_letter",
        "plan_letter",
        "sample_size",
        "ac",
        "re",
        "severity",
        "sample_reaches_lot_size",
    ):
        if key in shown:
            stdout.print(f"{key:24} {shown[key]}")
    if "reasons" in data:
        from qsync.i18n import Catalogue

        ws = current_workspace()
        catalogue = Catalogue.load(ws.templates_dir, lang or ws.settings.lang)
        stdout.print(catalogue.text("plan", "why"))
        for reason in data["reasons"]:
            stdout.print("  " + catalogue.text("plan", reason["id"], **reason["params"]))
        names = catalogue.text("plan", "list-separator").join(approvers)
        release_params = {"class": data["material_class"], "names": names}
        stdout.print(catalogue.text("plan", "approvers", **release_params))
    raise typer.Exit(ExitCode.OK)

"""`qualcode report KIND`: hierarchy, saturation, demographics, crosstab, co-occurrence, narrative,
methods, and all of them at once.

Each command: read the study files -> one core call in `qualcode.analysis` -> render (terminal, md,
csv, xlsx, json, html, docx). No analysis happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from qualcode.capacity import check_fits
from qualcode.cli.options import (
    MemosOption,
    OutputOption,
    one_thread_reads,
    protect_inputs,
)
from qualcode.cli.report_options import (
    DEFAULT_MIN_WORDS,
    DEFAULT_QUOTE_LABEL,
    BaseOption,
    CoderAFile,
    CoderBFile,
    DecisionsOption,
    DenominatorOption,
    FormatOption,
    MinWordsOption,
    NewOption,
    OrderOption,
    PermutationsOption,
    QuoteLabelOption,
    QuotesOption,
    ReportFormat,
    ReviewedOption,
    RunOption,
    SeedOption,
    StudyFiles,
    TableOption,
    ThresholdOption,
    UnitOption,
    with_study_options,
)
from qualcode.errors import QualcodeError

report_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Reports on a coded study: hierarchy, saturation, demographics, crosstab, cooccurrence, "
    "narrative, methods, all.",
)


# A report whose segments and codings files hold this many bytes (about 80,000 turns) takes seconds
# to read, join and count: it shows a progress bar over those steps on a terminal (issue 19).
LARGE_STUDY_BYTES = 20_000_000
REPORT_STEPS = 4  # read the segments, read the codings, join them, compute the report


@contextmanager
def _report_progress(what: str, *paths: Path | None) -> Iterator[Callable[..., None] | None]:
    """A progress bar over a report's steps when its inputs are large; None (no bar) otherwise.
    On a pipe or a redirected stderr the bar draws nothing (`progress_bar`)."""
    size = sum(p.stat().st_size for p in paths if p is not None and p.is_file())
    if size < LARGE_STUDY_BYTES:
        yield None
        return
    from qualcode.cli.render import progress_bar

    with progress_bar(what, REPORT_STEPS) as advance:
        yield advance


EXTENSIONS = {".md": "md", ".markdown": "md", ".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
EXTENSIONS[".txt"] = "table"
EXTENSIONS.update({".html": "html", ".htm": "html", ".docx": "docx"})


def _format(fmt: ReportFormat | None, output: Path | None) -> str:
    if fmt is not None:
        chosen = fmt.value
    elif output is not None:
        chosen = EXTENSIONS.get(output.suffix.lower())
        if chosen is None:
            raise typer.BadParameter(
                f"cannot tell the format from {output.name!r}; add --format "
                "(table, md, csv, xlsx, json, html, docx)",
                param_hint="'--format'",
            )
    else:
        chosen = "table"
    if chosen in ("xlsx", "docx") and output is None:
        raise typer.BadParameter(
            f"{chosen} needs a file: add -o FILE.{chosen}", param_hint="'--format'"
        )
    return chosen


def _order(order: str | None) -> list[str] | None:
    if order is None:
        return None
    items = [t.strip() for t in order.split(",") if t.strip()]
    if not items:
        raise typer.BadParameter(
            "give the transcripts in order, e.g. G1,G2,G3", param_hint="'--order'"
        )
    return items


def _study(
    study: StudyFiles,
    order: list[str] | None = None,
    min_words: int | None = None,
    progress: Callable[..., None] | None = None,
):
    """Read the study files and join them once (qualcode.analysis.data.load_study); `progress`
    is called after reading the segments, after reading the codings and after the join."""
    tick = progress or (lambda n=1: None)
    sources, segments, codings, codebook, roster = study.inputs()
    coder, include_facilitator = study.coder, study.include_facilitator
    from qualcode.analysis.data import EventOrderError, MultipleCodersError, load_study
    from qualcode.io import read_codings, read_segments
    from qualcode.roster import read_roster

    if sources and segments is not None:
        raise typer.BadParameter("give transcripts or --segments, not both", param_hint="'SOURCES'")
    if not sources and segments is None:
        raise typer.BadParameter(
            "give transcripts (files or folders) or --segments segments.csv", param_hint="'SOURCES'"
        )
    if codings is None:
        raise typer.BadParameter("give --codings (one codings file)", param_hint="'--codings'")
    with one_thread_reads():
        roster_df = read_roster(roster) if roster is not None else None
        if segments is not None:
            seg_df = read_segments(segments)
            seg_path = segments
        else:
            from qualcode.ingest import load_sources
            from qualcode.roster import maps_speakers

            # A participant sheet maps no speakers: ingest without it, then join on participant_id.
            mapping = roster if roster_df is not None and maps_speakers(roster_df) else None
            seg_df = load_sources(sources, roster=mapping).segments
            seg_path = None
        tick()
        cb = None
        if codebook is not None:
            from qualcode.codebook import load_codebook

            cb = load_codebook(codebook)
        from qualcode.cli.checks import check_text, warn_codebook

        codings_df = read_codings(codings)
        tick()
        check_text(codings_df, codings, seg_df, seg_path)  # turns moved since coding: wrong quotes
        warn_codebook(cb, [(str(codings), codings_df)])
        # Before the join: the decisions log it reads is freed before the joined tables are made.
        note = _mechanical_note(codings)
    try:
        data = load_study(
            seg_df,
            codings_df,
            codebook=cb,
            roster=roster_df,
            coder=coder,
            include_facilitator=include_facilitator,
            order=order,
            segments_path=seg_path,
            codings_path=codings,
            roster_path=roster,
            **({} if min_words is None else {"min_words": min_words}),
        )
    except MultipleCodersError as exc:
        exc.hint = "report on the consensus file, or pick one coder with --coder NAME"
        raise
    except EventOrderError as exc:
        exc.hint = "add event_order or event_date to the roster, or pass --order T1,T2,..."
        raise
    if note:
        data.notes.insert(0, note)
    tick()
    return data


def _memos(folder: Path | None, codebook):
    """The analytic memos of `folder` checked against the codebook; None without a folder."""
    if folder is None:
        return None
    from qualcode.memos import load_memos

    return load_memos(folder, codebook)


def _mechanical_note(codings: Path) -> str:
    """A consensus written by `reconcile` has its log beside it (<stem>.decisions.csv): when rules
    decided any difference, every report says the consensus is mechanical, not negotiated."""
    from qualcode.reconcile import (
        MECHANICAL_WORDING,
        is_mechanical,
        mechanical_rules,
        read_decisions,
    )

    log = codings.with_name(f"{codings.stem}.decisions.csv")
    if not log.is_file():
        return ""
    try:
        decisions = read_decisions(log)
    except QualcodeError:
        return ""
    n = int(is_mechanical(decisions).sum())
    if not n:
        return ""
    rules = " and ".join(MECHANICAL_WORDING.get(r, r) for r in mechanical_rules(decisions))
    return (
        f"These codings are a consensus formed mechanically by {rules} ({n} of {len(decisions)} "
        f"differences decided by rule, {log.name}); not negotiated."
    )


def _emit(result, fmt: str, output: Path | None, table: str | None) -> None:
    """Render a result to stdout or write it to -o (atomic, with backup)."""
    if fmt == "table":
        if output is None:
            from qualcode.cli.render import stdout_console

            print_result(result, stdout_console())
        else:
            import io

            from rich.console import Console

            from qualcode.io import DERIVED_KEEP, atomic_write_text

            buffer = io.StringIO()
            print_result(result, Console(file=buffer, width=160, no_color=True), width=None)
            atomic_write_text(output, buffer.getvalue(), keep=DERIVED_KEEP)
            typer.echo(f"wrote {output} (table)", err=True)
        return
    from qualcode.report.analysis_export import render_analysis, write_analysis

    if output is None:
        typer.echo(render_analysis(result, fmt, table=table), nl=False)
        return
    written = write_analysis(result, fmt, output, table=table)
    typer.echo(f"wrote {', '.join(str(p) for p in written)} ({fmt})", err=True)


# The terminal summary in words: the json keys are a contract, not labels for a reader. None hides
# what the notes below it already say in a sentence.
SUMMARY_LABELS: dict[str, dict[str, str | None]] = {
    "saturation": {
        "s": None,
        "reason": None,
        "base_total": "codes in the base",
        "new_definition": None,
        "codes_final": "codes in all",
        "k_80": None,
        "k_90": None,
    },
}


def print_result(result, console, *, width: int | None = 100) -> None:
    """Terminal rendering: title, warnings, summary, notes, then every table (long text cut)."""
    from rich import box
    from rich.table import Table

    from qualcode.report.markdown import TABLE_TITLES

    console.print(f"[bold]{result.title}[/bold]", markup=True)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {_escape(warning)}", markup=True)
    labels = SUMMARY_LABELS.get(result.kind, {})
    shown = None
    for key, value in result.summary().items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        label = labels.get(key, key.replace("_", " "))
        if value is None or value == "" or label is None or value == shown:
            continue  # hidden, or the value just shown again (status "not assessable")
        shown = value
        console.print(f"{label}: {value}", markup=False)
    for note in result.notes:
        console.print(f"- {note}", markup=False)
    for name, df in result.tables().items():
        if name in result.terminal_skip or df.empty:
            continue  # an empty table is said in the notes (e.g. no sensitivity pair fits)
        table = Table(
            title=TABLE_TITLES.get(name, name), box=box.SIMPLE_HEAVY, title_justify="left"
        )
        df = df.drop(columns=list(result.terminal_hide.get(name, ())))
        for col in df.columns:
            table.add_column(str(col), overflow="fold")
        for row in df.itertuples(index=False, name=None):
            table.add_row(*(_cell(v, width) for v in row))
        console.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _cell(value, width: int | None):
    import math

    from rich.text import Text

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Text("")
    if value.__class__.__name__ == "NAType":
        return Text("")
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    else:
        text = str(value).replace("\n", " ")
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return Text(text)  # Text, never markup: transcript text may contain [brackets]


def _threshold(value: str) -> float:
    """ "5%", "0.05" or "5" (a bare number above 1 is a percent) -> 0.05."""
    text = value.strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a share; write e.g. 5% or 0.05", param_hint="'--threshold'"
        ) from None
    if percent or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise typer.BadParameter(f"{value!r} is outside 0%-100%", param_hint="'--threshold'")
    return number


@report_app.command("hierarchy")
@with_study_options
def hierarchy(
    study: StudyFiles,
    quotes: Annotated[int, typer.Option("--quotes", help="Exemplar quotes per idea.")] = 3,
    quote_label: QuoteLabelOption = DEFAULT_QUOTE_LABEL,
    min_words: MinWordsOption = DEFAULT_MIN_WORDS,
    memos: MemosOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """Constructs > themes > repeating ideas with mentions, participants and groups (parents count
    the union of their children), flags (below the two-participant rule, one group only, never
    applied, one participant supplying half or more), exemplar quotes with their group, participant
    and turn, the idea x group matrix, the leftovers (ideas voiced by one participant, listed apart:
    themes and constructs roll up repeating ideas only) and negative cases (#negative in a memo).
    Brief assent (--min-words) is shown but does not voice an idea. Quotes: flag one with #quote in
    the coding's memo; label them with --quote-label. Analytic memos (--memos, `qualcode memo add`)
    are listed per construct, theme and code, study memos first.

    Example: qualcode report hierarchy --segments segments.csv --codings consensus.csv --codebook codebook.yaml --roster roster.csv
    """
    from qualcode.analysis.hierarchy import hierarchy_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), what="the report")
    check_fits(
        "report hierarchy", sources=study.sources, segments=study.segments, codings=study.codings
    )
    if study.codebook is None:
        raise typer.BadParameter("the hierarchy needs --codebook", param_hint="'--codebook'")
    with _report_progress("report hierarchy", study.segments, study.codings) as advance:
        data = _study(study, min_words=min_words, progress=advance)
        notes = _memos(memos, data.codebook)
        result = hierarchy_report(data, quotes=quotes, quote_label=quote_label, memos=notes)
    _emit(result, chosen, output, table)


@report_app.command("saturation")
@with_study_options
def saturation(
    study: StudyFiles,
    base: Annotated[
        int | None, typer.Option("--base", min=1, help="Base size b (events) [default: 4].")
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="Run length r (events) [default: 2].")
    ] = None,
    threshold: Annotated[
        str | None,
        typer.Option("--threshold", help="New information threshold, e.g. 5% or 0 [default: 5%]."),
    ] = None,
    denominator: Annotated[
        str | None,
        typer.Option("--denominator", help="base (Guest et al.) or cumulative [default: base]."),
    ] = None,
    new: Annotated[
        str | None,
        typer.Option(
            "--new",
            help="When an idea is new: two-participant (its second participant voices it; the "
            "default for a codebook with themes) or first-mention (the default for flat codes).",
        ),
    ] = None,
    order: OrderOption = None,
    permutations: PermutationsOption = 1000,
    seed: SeedOption = 0,
    min_words: MinWordsOption = DEFAULT_MIN_WORDS,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """Thematic saturation after Guest, Namey & Chen (2020): new codes per event in data-collection
    order (from the roster's event_order/event_date, or --order), the runs table and the "s+r"
    result (or "not assessable" and why), a sensitivity grid (base 4-6, run 2-3, 0%/5%) and the
    discovery curve with a band from random orders (a PNG beside -o report.md).

    Example: qualcode report saturation --segments segments.csv --codings consensus.csv --roster roster.csv --base 4 --run 1 --threshold 0
    """
    from qualcode.analysis.data import EventOrderError
    from qualcode.analysis.saturation import saturation_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), what="the report")
    check_fits(
        "report saturation", sources=study.sources, segments=study.segments, codings=study.codings
    )
    share = _check_saturation_options(threshold, denominator, new)
    events = _order(order)
    with _report_progress("report saturation", study.segments, study.codings) as advance:
        data = _study(study, events, min_words=min_words, progress=advance)
        sat = _saturation_options(base, run, share, denominator, new, data.codebook)
        try:
            result = saturation_report(
                data, **sat, order=events, permutations=permutations, seed=seed
            )
        except EventOrderError as exc:
            exc.hint = "add event_order or event_date to the roster, or pass --order T1,T2,..."
            raise
    _emit(result, chosen, output, table)


@report_app.command("demographics")
def demographics(
    roster: Annotated[Path, typer.Option("--roster", help="roster.csv with attribute columns.")],
    attributes: Annotated[
        str | None,
        typer.Option("--attributes", help="Comma-separated columns (default: all attributes)."),
    ] = None,
    stratify: Annotated[
        str | None,
        typer.Option("--stratify", help="A column to split by (e.g. site, or transcript_id)."),
    ] = None,
    numeric: Annotated[
        str | None,
        typer.Option(
            "--numeric",
            help="Comma-separated attributes to summarise as mean (SD) and median (IQR, range) "
            "(default: plain numbers with 6+ distinct values, e.g. age in years).",
        ),
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option("--categorical", help="Comma-separated attributes to count as categories."),
    ] = None,
    parent: Annotated[
        list[str] | None,
        typer.Option(
            "--parent",
            help='A parent row over sub-categories, e.g. "prior_group_treatment:Any prior group '
            'treatment=Staff-led only|Participant-led only" (repeatable).',
        ),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """Table 1 from the roster: N, then n (%) per category of every attribute (missing/declined as
    its own category, percentages of N rounded as journals do), the median of ordered bands, group
    sizes (median, range), optionally stratified by any column.

    Example: qualcode report demographics --roster roster.csv --stratify transcript_id -o table1.md
    """
    from qualcode.analysis.demographics import demographics_report
    from qualcode.roster import read_roster

    chosen = _format(fmt, output)
    protect_inputs(output, roster, what="the report")
    check_fits("report demographics", roster=roster)
    attrs = [a.strip() for a in attributes.split(",")] if attributes is not None else None
    parents: dict[str, list[tuple[str, list[str]]]] = {}
    for spec in parent or []:
        attr, sep, rest = spec.partition(":")
        label, sep2, cats = rest.partition("=")
        kids = [c.strip() for c in cats.split("|") if c.strip()]
        if not (sep and sep2 and attr.strip() and label.strip() and kids):
            raise typer.BadParameter(
                f"{spec!r}: write ATTRIBUTE:PARENT LABEL=CATEGORY|CATEGORY", param_hint="'--parent'"
            )
        parents.setdefault(attr.strip(), []).append((label.strip(), kids))
    result = demographics_report(
        read_roster(roster),
        attributes=attrs,
        stratify=stratify,
        roster_path=roster,
        numeric=[a.strip() for a in (numeric or "").split(",") if a.strip()],
        categorical=[a.strip() for a in (categorical or "").split(",") if a.strip()],
        parents=parents,
    )
    _emit(result, chosen, output, table)


@report_app.command("crosstab")
@with_study_options
def crosstab(
    by: Annotated[str, typer.Option("--by", help="Roster attribute (or transcript_id) to cross.")],
    study: StudyFiles,
    count: Annotated[
        str, typer.Option("--count", help="participants, segments or transcripts.")
    ] = "participants",
    rows: Annotated[
        str,
        typer.Option(
            "--rows",
            help="codes, themes or constructs (a theme or construct counts the union of its "
            "codes).",
        ),
    ] = "codes",
    by_code_attribute: Annotated[
        str | None,
        typer.Option(
            "--by-code-attribute",
            metavar="NAME",
            help="Rows are the values of this codebook attribute (e.g. component: core / "
            "malleable), each counting the union of its codes.",
        ),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """Codes x an attribute (clinic role, site, source type, group): participants (or segments, or
    transcripts) per cell, with row and column percentages and the column denominators.

    --by transcript_id is the group (or interview, field note) matrix; --rows themes or
    constructs, or --by-code-attribute NAME, roll the codes up. A transcript's source_type and
    the columns of an ingest --sources sheet (organisation, site) are attributes too.

    Example: qualcode report crosstab --by gender --segments segments.csv --codings consensus.csv --codebook codebook.yaml --roster roster.csv
    """
    from qualcode.analysis.crosstab import COUNT_UNITS, ROW_LEVELS, crosstab_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), what="the report")
    check_fits(
        "report crosstab", sources=study.sources, segments=study.segments, codings=study.codings
    )
    if count not in COUNT_UNITS:
        raise typer.BadParameter(f"choose {', '.join(COUNT_UNITS)}", param_hint="'--count'")
    if rows not in ROW_LEVELS:
        raise typer.BadParameter(f"choose {', '.join(ROW_LEVELS)}", param_hint="'--rows'")
    if by_code_attribute is not None and rows != "codes":
        raise typer.BadParameter(
            "--by-code-attribute sets the rows: leave out --rows", param_hint="'--rows'"
        )
    data = _study(study)
    result = crosstab_report(data, by, count=count, rows=rows, code_attribute=by_code_attribute)
    _emit(result, chosen, output, table)


@report_app.command("cooccurrence")
@with_study_options
def cooccurrence(
    study: StudyFiles,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """Code x code co-occurrence over segments (counts and Jaccard), in codebook order, and the
    pairs that co-occur, most frequent first.

    Example: qualcode report cooccurrence --segments segments.csv --codings consensus.csv --codebook codebook.yaml -o cooccurrence.xlsx
    """
    from qualcode.analysis.cooccurrence import cooccurrence_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), what="the report")
    check_fits(
        "report cooccurrence", sources=study.sources, segments=study.segments, codings=study.codings
    )
    data = _study(study)
    _emit(cooccurrence_report(data), chosen, output, table)


# --- narrative, methods, all ----------------------------------------------------------------------
def _check_saturation_options(
    threshold: str | None, denominator: str | None, new: str | None
) -> float | None:
    """Usage errors first (before any file is read); returns the threshold as a share."""
    from qualcode.analysis.saturation import DENOMINATORS, NEW_DEFINITIONS

    if denominator is not None and denominator not in DENOMINATORS:
        raise typer.BadParameter(
            f"choose {' or '.join(DENOMINATORS)}", param_hint="'--denominator'"
        )
    if new is not None and new not in NEW_DEFINITIONS:
        raise typer.BadParameter(f"choose {' or '.join(NEW_DEFINITIONS)}", param_hint="'--new'")
    return _threshold(threshold) if threshold is not None else None


def _saturation_options(
    base: int | None,
    run: int | None,
    threshold: float | None,
    denominator: str | None,
    new: str | None,
    codebook=None,
) -> dict[str, object]:
    """The saturation parameters from one place (qualcode.analysis.saturation.saturation_parameters):
    the options given (or the study's qualcode.yaml `saturation:`), else the shared defaults."""
    from qualcode.analysis.saturation import saturation_parameters

    return saturation_parameters(
        codebook, base=base, run=run, threshold=threshold, denominator=denominator, new=new
    )


def _reviewed(value: str) -> str:
    from qualcode.agreement.compare import REVIEWED_RULES

    if value not in REVIEWED_RULES:
        raise typer.BadParameter(f"choose {', '.join(REVIEWED_RULES)}", param_hint="'--reviewed'")
    return value


def _unit(value: str) -> str:
    from qualcode.agreement.unitized import UNITS

    if value not in UNITS:
        raise typer.BadParameter(f"choose {', '.join(UNITS)}", param_hint="'--unit'")
    return value


def _agreement_inputs(
    coder_a: Path | None,
    coder_b: Path | None,
    decisions: Path | None,
    codings: Path | None,
    coder: str | None,
) -> dict[str, object]:
    """The before/after agreement inputs of methods_report: both coders' files, the consensus (the
    codings reported on) and the decisions log."""
    from qualcode.io import read_codings

    if (coder_a is None) != (coder_b is None):
        given, missing = (
            ("--coder-a", "--coder-b") if coder_b is None else ("--coder-b", "--coder-a")
        )
        raise typer.BadParameter(f"{given} needs {missing} too", param_hint=f"'{missing}'")
    out: dict[str, object] = {"files": {"a": coder_a, "b": coder_b, "consensus": codings}}
    if coder_a is not None and coder_b is not None:
        out["coder_a"] = read_codings(coder_a)
        out["coder_b"] = read_codings(coder_b)
        consensus = read_codings(codings)
        if coder is not None:
            consensus = consensus[consensus["coder"] == coder]
        out["consensus"] = consensus
    if decisions is not None:
        from qualcode.reconcile import read_decisions

        out["decisions"] = read_decisions(decisions)
    return out


def _agreement_left_out(codings: Path | None, decisions: Path | None) -> str:
    """What `report all` says when no coder files were given: agreement is not in the report, and
    the options that add it (naming a decisions log found beside the consensus)."""
    text = (
        "agreement left out: add --coder-a A.csv --coder-b B.csv (the two coders' codings "
        "before reconciliation) for agreement before and after"
    )
    beside = codings.with_name(f"{codings.stem}.decisions.csv") if codings is not None else None
    if decisions is None and beside is not None and beside.is_file():
        text += f", and --decisions {beside} (the reconcile log beside the codings)"
    return text


@report_app.command("narrative")
@with_study_options
def narrative(
    study: StudyFiles,
    quotes: QuotesOption = 3,
    quote_label: QuoteLabelOption = DEFAULT_QUOTE_LABEL,
    min_words: MinWordsOption = DEFAULT_MIN_WORDS,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """A scaffold for the theoretical narrative: one section per construct, then its themes and
    repeating ideas in codebook order with their counts ("voiced in 4 of 5 groups by 12 of 33
    participants"), the codebook's definitions, the strongest verbatim quotes with group,
    participant and turn, and marked places to write ([Write here: ...]). No generated prose.

    Example: qualcode report narrative --segments segments.csv --codings consensus.csv --codebook codebook.yaml --roster roster.csv -o narrative.docx
    """
    from qualcode.analysis.narrative import narrative_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), what="the report")
    check_fits(
        "report narrative", sources=study.sources, segments=study.segments, codings=study.codings
    )
    if study.codebook is None:
        raise typer.BadParameter("the narrative needs --codebook", param_hint="'--codebook'")
    data = _study(study, min_words=min_words)
    _emit(narrative_report(data, quotes=quotes, quote_label=quote_label), chosen, output, table)


@report_app.command("methods")
@with_study_options
def methods(
    study: StudyFiles,
    coder_a: CoderAFile = None,
    coder_b: CoderBFile = None,
    decisions: DecisionsOption = None,
    reviewed: ReviewedOption = "codings",
    unit: UnitOption = "turn",
    base: BaseOption = None,
    run: RunOption = None,
    threshold: ThresholdOption = None,
    denominator: DenominatorOption = None,
    new: NewOption = None,
    order: OrderOption = None,
    quotes: QuotesOption = 3,
    quote_label: QuoteLabelOption = DEFAULT_QUOTE_LABEL,
    min_words: MinWordsOption = DEFAULT_MIN_WORDS,
    fmt: FormatOption = None,
    output: OutputOption = None,
    table: TableOption = None,
) -> None:
    """A methods paragraph built only from computed facts, and the COREQ items the data can fill
    (12 sample size, 15 non-participants, 21 duration, 22 saturation, 24 coders, 25 coding tree,
    26 derivation of themes, 27 software, 29 quotations, 32 minor themes), each marked "from data"
    or "to complete by hand". With --coder-a/--coder-b: the coders, the double-coded share, what
    each coder reviewed (--reviewed), agreement before reconciliation pooled and per code (range,
    median, codes below 0.667), and after (each coder vs --codings) only for a negotiated
    consensus: with --decisions, rule-made decisions (union, ...) are named mechanical. --unit span
    or sentence adds span-level (Krippendorff's unitized alpha) or sentence-level agreement.

    Example: qualcode report methods --segments segments.csv --codings consensus.csv --codebook codebook.yaml --roster roster.csv --coder-a codings/coder_a.csv --coder-b codings/coder_b.csv --decisions consensus.decisions.csv
    """
    from qualcode.analysis.methods import methods_report

    chosen = _format(fmt, output)
    protect_inputs(output, *study.inputs(), coder_a, coder_b, decisions, what="the report")
    inputs = [study.codings, coder_a, coder_b, decisions]
    check_fits("report methods", sources=study.sources, segments=study.segments, codings=inputs)
    share = _check_saturation_options(threshold, denominator, new)
    events = _order(order)
    data = _study(study, events, min_words=min_words)
    sat = _saturation_options(base, run, share, denominator, new, data.codebook)
    agreement = _agreement_inputs(coder_a, coder_b, decisions, study.codings, study.coder)
    result = methods_report(
        data,
        saturation_options=sat,
        quotes=quotes,
        quote_label=quote_label,
        reviewed=_reviewed(reviewed),
        unit=_unit(unit),
        **agreement,
    )
    _emit(result, chosen, output, table)


@report_app.command("all")
@with_study_options
def all_reports(
    study: StudyFiles,
    coder_a: CoderAFile = None,
    coder_b: CoderBFile = None,
    decisions: DecisionsOption = None,
    reviewed: ReviewedOption = "codings",
    unit: UnitOption = "turn",
    by: Annotated[
        str | None, typer.Option("--by", help="Add a crosstab of the codes by this attribute.")
    ] = None,
    base: BaseOption = None,
    run: RunOption = None,
    threshold: ThresholdOption = None,
    denominator: DenominatorOption = None,
    new: NewOption = None,
    order: OrderOption = None,
    permutations: PermutationsOption = 1000,
    seed: SeedOption = 0,
    quotes: QuotesOption = 3,
    quote_label: QuoteLabelOption = DEFAULT_QUOTE_LABEL,
    min_words: MinWordsOption = DEFAULT_MIN_WORDS,
    memos: MemosOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Every report in one document with a table of contents: hierarchy, narrative scaffold,
    saturation (with the discovery curve), demographics, crosstab (with --by), co-occurrence and
    methods/COREQ, with the analytic memos (--memos) per theme in the hierarchy. One
    self-contained HTML page (figures embedded, prints well) or a Word file; also md, json or xlsx
    (one sheet per table).

    Example: qualcode report all --segments segments.csv --codings consensus.csv --codebook codebook.yaml --roster roster.csv --coder-a codings/coder_a.csv --coder-b codings/coder_b.csv -o report.html
    """
    from qualcode.analysis.study import STUDY_STEPS, study_report
    from qualcode.cli.render import progress_bar
    from qualcode.report.study_export import STUDY_FORMATS, render_study, write_study

    chosen = "html" if fmt is None and output is None else _format(fmt, output)
    protect_inputs(output, *study.inputs(), coder_a, coder_b, decisions, what="the report")
    inputs = [study.codings, coder_a, coder_b, decisions]
    check_fits("report all", sources=study.sources, segments=study.segments, codings=inputs)
    if chosen not in STUDY_FORMATS:
        raise typer.BadParameter(
            f"report all writes {', '.join(STUDY_FORMATS)}, not {chosen}", param_hint="'--format'"
        )
    if study.codebook is None:
        raise typer.BadParameter("report all needs --codebook", param_hint="'--codebook'")
    share = _check_saturation_options(threshold, denominator, new)
    events = _order(order)
    data = _study(study, events, min_words=min_words)
    sat = _saturation_options(base, run, share, denominator, new, data.codebook)
    agreement = _agreement_inputs(coder_a, coder_b, decisions, study.codings, study.coder)
    notes = _memos(memos, data.codebook)
    with progress_bar("report all", STUDY_STEPS) as advance:
        result = study_report(
            data,
            quotes=quotes,
            saturation_options={**sat, "order": events, "permutations": permutations, "seed": seed},
            by=by,
            quote_label=quote_label,
            reviewed=_reviewed(reviewed),
            unit=_unit(unit),
            progress=advance,
            memos=notes,
            **agreement,
        )
    for warning in result.warnings:
        typer.echo(f"note: {warning}", err=True)
    if coder_a is None:
        typer.echo(f"note: {_agreement_left_out(study.codings, decisions)}", err=True)
    if output is None:
        typer.echo(render_study(result, chosen), nl=False)
        return
    written = write_study(result, chosen, output)
    typer.echo(f"wrote {', '.join(str(p) for p in written)} ({chosen})", err=True)

"""`qualcode compare A.csv B.csv`: inter-coder agreement per code, theme and construct, and the
disagreements, in the terminal or as json/csv/md/html/xlsx."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import (
    Engine,
    EngineOption,
    OptionalCodebookOption,
    OutputOption,
    SchedulerOption,
    WorkersOption,
    engine_settings,
    one_thread_reads,
    protect_inputs,
)

LARGE_CODINGS_ROWS = 200_000
BAND_STYLES = {"good": "green", "tentative": "yellow", "low": "red", "n/a": "dim"}
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class ReviewedRule(StrEnum):
    codings = "codings"
    all = "all"
    transcripts = "transcripts"


class AgreementUnit(StrEnum):
    turn = "turn"
    span = "span"
    sentence = "sentence"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    xlsx = "xlsx"


def compare(
    coder_a: Annotated[Path, typer.Argument(help="Coder A's codings CSV.", show_default=False)],
    coder_b: Annotated[Path, typer.Argument(help="Coder B's codings CSV.", show_default=False)],
    more: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Further coders' codings CSVs: with 3 or more coders, Fleiss' kappa, "
            "Krippendorff's alpha and Gwet's AC1 over all coders, and every pair's kappa.",
            show_default=False,
        ),
    ] = None,
    codebook: OptionalCodebookOption = None,
    segments: Annotated[
        Path | None,
        typer.Option(
            "--segments", "-s", help="segments.csv: adds speaker and text to the disagreements."
        ),
    ] = None,
    fmt: Annotated[
        CompareFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from the -o extension, else table).",
            case_sensitive=False,
        ),
    ] = None,
    output: OutputOption = None,
    reviewed: Annotated[
        ReviewedRule,
        typer.Option(
            "--reviewed",
            help="What each coder reviewed: codings (the segments in their file; an empty code_id "
            "= reviewed, no code), all (every participant turn of --segments), or transcripts "
            "(every participant turn of the transcripts their file touches).",
            case_sensitive=False,
        ),
    ] = "codings",
    limit: Annotated[
        int,
        typer.Option(
            "--limit", help="Disagreements shown in the terminal table (0 = all); files hold all."
        ),
    ] = 25,
    unit: Annotated[
        AgreementUnit,
        typer.Option(
            "--unit",
            help="Unit of agreement: turn (does the code apply to the turn), span "
            "(Krippendorff's unitized alpha per code on the characters of the double-coded "
            "turns; a coding without start_char/end_char spans its turn) or sentence (each "
            "sentence a unit; a code applies when a span covers one of its non-space "
            "characters). span and sentence need --segments.",
            case_sensitive=False,
        ),
    ] = "turn",
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    partition_size: Annotated[
        int,
        typer.Option(
            "--partition-size",
            min=1,
            help="Double-coded segments per partition of the agreement counts (both engines).",
        ),
    ] = 50_000,
) -> None:
    """Measure how far two coders agree, per code, per theme and construct, and overall, and list
    every segment where they differ.

    Agreement is computed on the segments both coders reviewed: by default every segment_id in a
    codings file (an empty code_id means reviewed, no code); --reviewed all or transcripts takes
    every participant turn of --segments (or of the transcripts a file touches), so a file that
    lists only coded segments does not shrink the double-coded set. A code one coder applied and
    the other did not is a disagreement. Per code: prevalence, the 2x2 counts, percent agreement,
    Cohen's kappa, Scott's pi, Krippendorff's alpha, Gwet's AC1, Brennan-Prediger, positive agreement.

    --unit span: Krippendorff's unitized alpha (uα, Krippendorff 1995, 2004) per code over the
    characters of the double-coded turns, beside the turn-level tables; --unit sentence: the
    tables count sentences (a simplification of span level). Every output states the unit. With 3
    or more files, span is over the turns every coder reviewed.

    Three or more files: per code, Fleiss' kappa, Krippendorff's alpha and Gwet's AC1 over all
    coders (on the segments at least two of them reviewed; a segment a coder did not review is
    missing for them), per theme and construct (rolled up as for two coders) and pooled over
    every code x segment cell, and each pair's Cohen's kappa per code and pooled (every format).

    --engine dask counts agreement on a Dask cluster (--scheduler tcp://HOST:8786, or --workers N
    processes here), one task per range of segments; the figures are the same to the last digit.

    Example: qualcode compare codings/coder_a.csv codings/coder_b.csv --codebook codebook.yaml -o agreement.html
    """
    from qualcode.io import coder_note, read_codings, read_segments
    from qualcode.report.compare_report import EXTENSIONS, render_text, write_comparison

    if fmt is None:
        if output is not None:
            chosen = EXTENSIONS.get(output.suffix.lower())
            if chosen is None:
                raise typer.BadParameter(
                    f"cannot tell the format from {output.name!r}; add --format "
                    "(table, json, csv, md, html, xlsx)",
                    param_hint="'--format'",
                )
        else:
            chosen = "table"
    else:
        chosen = fmt.value
    if chosen == "xlsx" and output is None:
        raise typer.BadParameter("xlsx needs a file: add -o FILE.xlsx", param_hint="'--format'")
    unit_value = AgreementUnit(unit).value
    if unit_value != "turn" and segments is None:
        raise typer.BadParameter(
            f"--unit {unit_value} reads the turn texts from --segments segments.csv",
            param_hint="'--unit'",
        )
    cluster = engine_settings(engine, scheduler, workers)
    if cluster is not None and unit_value != "turn":
        raise typer.BadParameter(
            f"--engine dask counts agreement on turns; for --unit {unit_value} use --engine local",
            param_hint="'--engine'",
        )
    if more and cluster is not None:
        raise typer.BadParameter(
            "--engine dask compares two coders; with 3 or more use the local engine",
            param_hint="'--engine'",
        )
    if more:
        _compare_many(
            [coder_a, coder_b, *more],
            codebook,
            segments,
            chosen,
            output,
            ReviewedRule(reviewed),
            unit_value,
        )
        return
    protect_inputs(output, coder_a, coder_b, codebook, segments, what="the comparison")
    from qualcode.capacity import check_fits

    check_fits("compare", codings=[coder_a, coder_b], segments=segments)  # before reading

    cb = None
    if codebook is not None:
        from qualcode.codebook import load_codebook

        cb = load_codebook(codebook)
    with one_thread_reads():
        a = read_codings(coder_a)
        b = read_codings(coder_b)
    for note in filter(None, (coder_note(a), coder_note(b))):
        typer.echo(f"note: {note}", err=True)
    rule = ReviewedRule(reviewed).value
    if rule != "codings" and segments is None:
        raise typer.BadParameter(
            f"--reviewed {rule} reads the participant turns from --segments segments.csv",
            param_hint="'--reviewed'",
        )
    with one_thread_reads():
        segs = read_segments(segments) if segments is not None else None
    from qualcode.cli.checks import check_text, warn_codebook

    for df, path in ((a, coder_a), (b, coder_b)):
        check_text(df, path, segs, segments)  # turns moved since coding: never compare them
    warn_codebook(cb, [(str(coder_a), a), (str(coder_b), b)])
    from qualcode.agreement.unitized import compare_by_unit

    kwargs = dict(
        unit=unit_value,
        codebook=cb,
        segments=segs,
        a_path=coder_a,
        b_path=coder_b,
        segments_path=segments,
        reviewed=rule,
    )
    kwargs["chunk_units"] = partition_size
    if cluster is not None:
        from qualcode.engine import require_extra

        require_extra()
        from qualcode.cli.render import progress_bar
        from qualcode.engine.dask import connect, mapper

        with (
            connect(*cluster) as client,
            progress_bar("Agreement on the cluster", None) as advance,
        ):
            comparison = compare_by_unit(a, b, map_partitions=mapper(client, advance), **kwargs)
    elif len(a) + len(b) > LARGE_CODINGS_ROWS:  # seconds of work: show where it is
        from qualcode.agreement.compare import COMPARE_STEPS
        from qualcode.cli.render import progress_bar

        with progress_bar("comparing", COMPARE_STEPS) as advance:
            comparison = compare_by_unit(a, b, progress=advance, **kwargs)
    else:
        comparison = compare_by_unit(a, b, **kwargs)
    # The comparison holds what the outputs need: free the rows before writing them.
    del a, b, df, segs, kwargs
    for line in reviewed_warnings(comparison):
        typer.echo(f"warning: {line}", err=True)

    if chosen == "table":
        if output is None:
            from qualcode.cli.render import stdout_console

            print_table(comparison, stdout_console(), limit=limit)
        else:
            import io

            from rich.console import Console

            from qualcode.io import DERIVED_KEEP, atomic_write_text

            buffer = io.StringIO()
            print_table(comparison, Console(file=buffer, width=160, no_color=True), limit=0)
            atomic_write_text(output, buffer.getvalue(), keep=DERIVED_KEEP)
    elif output is None:
        typer.echo(render_text(comparison, chosen), nl=False)
    else:
        write_comparison(comparison, chosen, output)
    if output is not None:
        typer.echo(f"wrote {output} ({chosen})", err=True)


def _compare_many(paths, codebook, segments, chosen, output, reviewed, unit="turn") -> None:
    """3 or more coders: `agreement.multi.compare_many` (by `unit`: agreement.unitized), as a
    table, json, csv, md, html or xlsx."""
    from qualcode.agreement.unitized import compare_many_by_unit
    from qualcode.io import DERIVED_KEEP, atomic_write_text, coder_note, read_codings, read_segments
    from qualcode.report.multi_report import multi_text, write_multi

    rule = reviewed.value
    if rule != "codings" and segments is None:
        raise typer.BadParameter(
            f"--reviewed {rule} reads the participant turns from --segments segments.csv",
            param_hint="'--reviewed'",
        )
    protect_inputs(output, *paths, codebook, segments, what="the comparison")
    from qualcode.capacity import check_fits

    check_fits("compare 3+ coders", what="compare", codings=paths, segments=segments)
    cb = None
    if codebook is not None:
        from qualcode.codebook import load_codebook

        cb = load_codebook(codebook)
    with one_thread_reads():
        frames = [read_codings(p) for p in paths]
    for note in filter(None, map(coder_note, frames)):
        typer.echo(f"note: {note}", err=True)
    with one_thread_reads():
        segs = read_segments(segments) if segments is not None else None
    result, extra = compare_many_by_unit(
        frames,
        unit=unit,
        paths=paths,
        codebook=cb,
        segments=segs,
        segments_path=segments,
        reviewed=rule,
    )
    if unit == "turn" and output is not None:
        write_multi(result, chosen, output)
        typer.echo(f"wrote {output} ({chosen})", err=True)
        return
    if chosen == "xlsx":  # span or sentence (xlsx always has -o)
        from qualcode.report.compare_report import write_multi_unit_xlsx

        write_multi_unit_xlsx(result, unit, extra, output)
        typer.echo(f"wrote {output} ({chosen})", err=True)
        return
    text = multi_text(result, chosen)
    if unit != "turn":
        from qualcode.report.compare_report import multi_unit_text

        text = multi_unit_text(text, chosen, unit, extra)
    if output is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(output, text, keep=DERIVED_KEEP)
    typer.echo(f"wrote {output} ({chosen})", err=True)


def reviewed_warnings(comparison) -> list[str]:
    """With the codings rule, a file without "reviewed, no code" rows cannot say what its coder
    reviewed: the double-coded set may shrink to the coded segments and inflate agreement."""
    if comparison.reviewed_rule != "codings":
        return []
    files = {comparison.coder_a: comparison.file_a, comparison.coder_b: comparison.file_b}
    return [
        f"{files.get(name) or name} has no rows with an empty code_id, so it cannot say which "
        "segments were reviewed and left uncoded; agreement counts only the segments it lists. "
        "If the coder reviewed every participant turn, pass --reviewed all --segments "
        "segments.csv (or --reviewed transcripts)"
        for name in comparison.no_empty_rows
    ]


def print_table(comparison, console, *, limit: int = 25) -> None:
    """The terminal report: summary lines, per-code table with alpha bands, roll-ups, overall,
    disagreements (text shortened), and numbered notes for undefined statistics."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from qualcode.report.compare_report import (
        STAT_HEADERS,
        Notes,
        codes_text,
        flags,
        fmt_share,
        hierarchy_rows,
        overall_rows,
        shorten,
        single_coded_lines,
        stat_cell,
        summary_lines,
    )

    c = comparison
    notes = Notes()
    shown_stats = (
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
        "positive_agreement",
    )

    def cell_text(cell) -> Text:
        text = cell.text + (str(cell.note).translate(SUPERSCRIPT) if cell.note else "")
        return Text(text, style=BAND_STYLES.get(cell.band, "") if cell.band else "")

    lines = summary_lines(c)
    console.print(Text(f"Inter-coder agreement: {c.coder_a} and {c.coder_b}", style="bold"))
    for line in lines[:-1] + single_coded_lines(c, limit=10):
        # soft_wrap: long file paths stay on one line (copyable, and greppable in logs).
        console.print(Text(line), soft_wrap=True)
    console.print(Text(lines[-1], style="dim"))
    if c.unit == "span":
        _print_span(c, console, limit)

    # Narrow terminals get the 2x2 counts in one column and fewer statistics; files have them all.
    compact = console.width < 118
    if compact:
        shown_stats = ("percent_agreement", "cohen_kappa", "krippendorff_alpha")
    table = Table(
        title=("Turn level: per code" if c.unit == "span" else "Per code")
        + " (bold: theme and construct, a segment has one if it has any of its codes)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Code", no_wrap=True)
    # The label is the one column that wraps, so it is the one rich narrows first.
    table.add_column("Label", max_width=40, overflow="fold")
    count_headers = (
        ("A%/B%", "both/A/B/none")
        if compact
        else ("A %", "B %", "Both", "A only", "B only", "Neither")
    )
    for h in count_headers:
        table.add_column(h, justify="right", no_wrap=True)
    for key in shown_stats:
        table.add_column(STAT_HEADERS[key], justify="right", no_wrap=True)
    table.add_column("Flags", style="red", no_wrap=True)
    styles = {"construct": "bold magenta", "theme": "bold cyan", "code": ""}
    for level, id_, row in hierarchy_rows(c):
        if level != "code" and table.row_count:
            table.add_section()
        style = styles[level]
        prev_a, prev_b = fmt_share(row["prevalence_a"]), fmt_share(row["prevalence_b"])
        counts = [str(row[k]) for k in ("both", "only_a", "only_b", "neither")]
        if compact:
            figures = [f"{prev_a.rstrip('%')}/{prev_b}", "/".join(counts)]
        else:
            figures = [prev_a, prev_b, *counts]
        table.add_row(
            Text(id_, style=style),
            Text(str(row["label"]), style=style),
            *figures,
            *(cell_text(stat_cell(row, k, notes)) for k in shown_stats),
            Text(flags(row, sep=" ")),
        )
    console.print()
    console.print(table)

    overall = Table(title="Overall", title_justify="left", show_header=False)
    overall.add_column("figure")
    overall.add_column("value", justify="right")
    for label, cell in overall_rows(c, notes):
        overall.add_row(Text(label), cell_text(cell))
    console.print()
    console.print(overall)

    d = c.disagreements
    console.print()
    if not len(d):
        console.print("The coders agree on every double-coded segment.")
    else:
        rows = d if limit <= 0 else d.head(limit)
        dis = Table(
            title=f"Disagreements ({len(d)} segments)", title_justify="left", header_style="bold"
        )
        has_text = bool((d["text"] != "").any() or (d["speaker"] != "").any())
        dis.add_column("Segment", no_wrap=True)
        if has_text:
            dis.add_column("Speaker", max_width=18, overflow="ellipsis")
            dis.add_column("Text", ratio=1, min_width=20)
        dis.add_column(f"{c.coder_a} applied", style="magenta")
        dis.add_column(f"{c.coder_b} applied", style="blue")
        for r in rows.to_dict(orient="records"):
            # Text(), not str: transcript text like "[laughs]" must not be read as rich markup.
            text_cells = [Text(str(r["speaker"])), Text(shorten(r["text"], 120))]
            dis.add_row(
                Text(str(r["segment_id"])),
                *(text_cells if has_text else []),
                Text(codes_text(r["codes_a"])),
                Text(codes_text(r["codes_b"])),
            )
        console.print(dis)
        if not has_text:
            console.print(
                Text("(--segments segments.csv adds who said it and the text)", style="dim")
            )
        if len(rows) < len(d):
            console.print(
                f"... {len(d) - len(rows)} more; --limit 0 shows all, -o FILE.html keeps full text"
            )
    if notes.numbers:
        console.print()
        for n, reason in notes.items():
            console.print(Text(f"{str(n).translate(SUPERSCRIPT)} — {reason}", style="dim"))


def _print_span(c, console, limit: int) -> None:
    """The span-level table, pooled figure and span disagreements of a span comparison."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from qualcode.agreement.unitized import span_table
    from qualcode.report.compare_report import shorten

    headers, rows, pooled = span_table(c)
    if console.width < 118:  # narrow: counts in one column each, as in the turn table
        headers = [headers[0], "units A/B", "chars both/A/B/none", "uα", "Note"]
        rows = [[r[0], f"{r[2]}/{r[3]}", "/".join(r[4:8]), r[10], r[11]] for r in rows]
    else:
        headers[2:4] = ["A units", "B units"]
    if not any(r[-1] for r in rows):  # no undefined code: no notes to show
        headers, rows = headers[:-1], [r[:-1] for r in rows]
    table = Table(
        title="Span level: Krippendorff's unitized alpha (uα) per code",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, h in enumerate(headers):
        if h == "Label":
            table.add_column(h, max_width=30, overflow="fold")
        elif i == len(headers) - 1:
            table.add_column(h, max_width=40, overflow="fold", style="dim")
        else:
            table.add_column(h, justify="right" if i else "left", no_wrap=True)
    for r in rows:
        table.add_row(*(Text(x) for x in r))
    console.print()
    console.print(table)
    for line in pooled:
        console.print(Text(line), soft_wrap=True)
    d = c.span.disagreements
    console.print()
    if not len(d):
        console.print("The coders marked the same characters with every code.")
        return
    shown = d if limit <= 0 else d.head(limit)
    dis = Table(
        title=f"Span disagreements ({len(d)} turn x code; spans are offsets in the turn)",
        title_justify="left",
        header_style="bold",
    )
    for h in ("Segment", "Code", f"{c.coder_a} spans", f"{c.coder_b} spans", "Text"):
        dis.add_column(h, ratio=1 if h == "Text" else None, min_width=20 if h == "Text" else None)
    for r in shown.to_dict(orient="records"):
        dis.add_row(
            Text(str(r["segment_id"])),
            Text(str(r["code_id"])),
            Text(r["spans_a"]),
            Text(r["spans_b"]),
            Text(shorten(str(r["text"]), 120)),
        )
    console.print(dis)
    if len(shown) < len(d):
        console.print(f"... {len(d) - len(shown)} more; --limit 0 shows all")

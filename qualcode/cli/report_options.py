"""The options the `qualcode report` commands share, as typer `Annotated` aliases: each is written
once here and used by every report that takes it (the study's files, the output format, the
quotes, the saturation and agreement settings), so the commands' option lists cannot drift apart.
Options of one command only stay beside it in `qualcode/cli/report.py`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from qualcode.cli.options import OptionalCodebookOption, RosterOption

DEFAULT_QUOTE_LABEL = "{participant_id}, {transcript_id}"
DEFAULT_MIN_WORDS = 6


class ReportFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"
    html = "html"
    docx = "docx"


# --- the study and the output -------------------------------------------------------------------
SourcesOption = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Transcript files or folders (ingested on the fly), instead of --segments.",
        show_default=False,
    ),
]
SegmentsOption = Annotated[
    Path | None, typer.Option("--segments", "-s", help="segments.csv (from `qualcode ingest`).")
]
CodingsOption = Annotated[
    Path | None,
    typer.Option("--codings", help="ONE codings file (typically the consensus) to report on."),
]
CoderPick = Annotated[
    str | None,
    typer.Option("--coder", help="The coder to report on when the codings file holds several."),
]
FacilitatorOption = Annotated[
    bool,
    typer.Option(
        "--include-facilitator", help="Count facilitator turns too (excluded by default)."
    ),
]
FormatOption = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="table, md, csv, xlsx, json, html or docx (default: from the -o extension, else "
        "table).",
        case_sensitive=False,
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option("--table", help="For csv: the one table to write (default: all, or the first)."),
]
MinWordsOption = Annotated[
    int,
    typer.Option(
        "--min-words",
        min=1,
        help="A coded turn shorter than this many words is brief assent: shown as a mention, not "
        "counted toward an idea's participants (two-participant rule).",
    ),
]
QuoteLabelOption = Annotated[
    str,
    typer.Option(
        "--quote-label",
        help='How each quote is labelled, from roster attributes, e.g. "{participant_id}, '
        '{clinical_role}, {site}".',
    ),
]
OrderOption = Annotated[
    str | None,
    typer.Option(
        "--order",
        help="Data-collection order of the transcripts, e.g. G1,G2,G3 (overrides the roster).",
    ),
]


# --- the study every joined report reads: one group of options --------------------------------
@dataclass(frozen=True)
class StudyFiles:
    """The study options of every report that joins codings to segments (`with_study_options`)."""

    sources: list[Path] | None
    segments: Path | None
    codings: Path | None
    codebook: Path | None
    roster: Path | None
    coder: str | None
    include_facilitator: bool

    def inputs(self) -> tuple[Path | list[Path] | None, ...]:
        """The files read, for `protect_inputs`."""
        return (self.sources, self.segments, self.codings, self.codebook, self.roster)


def _study_parameters() -> list[inspect.Parameter]:
    options = [
        ("sources", SourcesOption, None),
        ("segments", SegmentsOption, None),
        ("codings", CodingsOption, None),
        ("codebook", OptionalCodebookOption, None),
        ("roster", RosterOption, None),
        ("coder", CoderPick, None),
        ("include_facilitator", FacilitatorOption, False),
    ]
    return [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in options
    ]


def with_study_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a report command the study's options where its `study: StudyFiles` parameter stands.

    typer reads a command's options from its signature: this one has the seven options in the
    place of `study` (so `--help` lists them there), and the command gets them as one StudyFiles."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "study":
            parameters.extend(_study_parameters())
        else:  # keyword-only: an option without a default may follow the study's
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    names = [f.name for f in fields(StudyFiles)]

    @functools.wraps(command)
    def run(**options: Any) -> None:
        study = StudyFiles(**{name: options.pop(name) for name in names})
        return command(study=study, **options)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__annotations__["return"] = signature.return_annotation
    return run


# --- narrative, methods, all: quotes, agreement, saturation -------------------------------------
QuotesOption = Annotated[
    int, typer.Option("--quotes", min=0, help="Strongest quotes per repeating idea.")
]
CoderAFile = Annotated[
    Path | None,
    typer.Option("--coder-a", help="Coder A's codings (before reconciliation), with --coder-b."),
]
CoderBFile = Annotated[
    Path | None,
    typer.Option("--coder-b", help="Coder B's codings (before reconciliation), with --coder-a."),
]
DecisionsOption = Annotated[
    Path | None,
    typer.Option("--decisions", help="The reconcile decisions log (decisions.csv)."),
]
ReviewedOption = Annotated[
    str,
    typer.Option(
        "--reviewed",
        help="What each coder reviewed, for the agreement figures: codings (the segments in "
        "their file), all (every participant turn), or transcripts (every participant turn of "
        "the transcripts their file touches).",
    ),
]
UnitOption = Annotated[
    str,
    typer.Option(
        "--unit",
        help="Unit of agreement beside the turn-level figures: turn (only those), span "
        "(Krippendorff's unitized alpha on the characters of the double-coded turns) or sentence "
        "(each sentence a unit); span and sentence read the turn texts from the segments.",
    ),
]
BaseOption = Annotated[
    int | None, typer.Option("--base", min=1, help="Saturation base size b [default: 4].")
]
RunOption = Annotated[
    int | None, typer.Option("--run", min=1, help="Saturation run length r [default: 2].")
]
ThresholdOption = Annotated[
    str | None,
    typer.Option("--threshold", help="Saturation new-information threshold [default: 5%]."),
]
DenominatorOption = Annotated[
    str | None,
    typer.Option(
        "--denominator", help="Saturation denominator: base or cumulative [default: base]."
    ),
]
NewOption = Annotated[
    str | None,
    typer.Option(
        "--new",
        help="When an idea is new: two-participant (default with themes) or first-mention "
        "(default for flat codes).",
    ),
]
PermutationsOption = Annotated[
    int, typer.Option("--permutations", min=0, help="Random orders for the discovery band.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the random orders.")]

"""The options the `qualcode report` commands share, as typer `Annotated` aliases: each is written
once here and used by every report that takes it (the study's files, the output format, the
quotes, the saturation and agreement settings), so the commands' option lists cannot drift apart.
Options of one command only stay beside it in `qualcode/cli/report.py`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

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

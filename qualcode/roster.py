"""The roster: who spoke in which transcript, their participant id, role and attributes.

roster.csv columns: `transcript_id, speaker, participant_id, role` plus any attribute columns.
A participant sheet (`participant_id` and attributes, no `speaker`: how a demographic survey is
kept) is a roster too: enough for participant reports, which join on participant_id; only mapping
transcript speakers to participants (ingest) needs the `transcript_id, speaker` columns.
One participant may appear in several transcripts (rows share a participant_id). Empty attribute
cells mean missing/declined. Matching of roster speakers to transcript labels is tolerant of case,
NBSP, curly quotes and repeated spaces (`speaker_key`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError
from qualcode.io import read_table, require_columns, row_location
from qualcode.model import ROLE_FACILITATOR, ROLE_PARTICIPANT, ROLES, ROSTER_REQUIRED

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_SPACES = re.compile(r"\s+")


def normalise_speaker(name: str) -> str:
    """A speaker label as it should be shown: NFC, straight quotes, NBSP as space, single spaces."""
    name = unicodedata.normalize("NFC", name).translate(_QUOTES)
    return _SPACES.sub(" ", name).strip()


def speaker_key(name: str) -> str:
    """The key used to match a transcript label to a roster row (case-insensitive)."""
    return normalise_speaker(name).casefold()


PARTICIPANT_SHEET_REQUIRED = ("participant_id",)
# Columns that describe the row, not the person; everything else is an attribute.
ROSTER_META_COLUMNS = ("transcript_id", "speaker", "participant_id", "role")


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read and check roster.csv, or a participant sheet (no `speaker` column: its `speaker` and,
    if absent, `transcript_id` come back empty); `role` defaults to participant. Errors name the
    row."""
    df = read_table(path, what="roster", columns=ROSTER_META_COLUMNS, required=ROSTER_REQUIRED)
    sheet = "speaker" not in df.columns
    require_columns(df, PARTICIPANT_SHEET_REQUIRED if sheet else ROSTER_REQUIRED, path, "roster")
    for col in ("role", "speaker", "transcript_id"):
        if col not in df.columns:
            df[col] = ""
    for col in ROSTER_META_COLUMNS:
        df[col] = df[col].str.strip()
    df["role"] = df["role"].str.lower()
    df.loc[df["role"] == "", "role"] = ROLE_PARTICIPANT
    df["role"] = df["role"].replace(
        {"moderator": ROLE_FACILITATOR, "interviewer": ROLE_FACILITATOR}
    )
    for i, row in enumerate(df.itertuples(index=False)):
        if not sheet and (not row.transcript_id or not row.speaker):
            raise ContractError(
                "transcript_id and speaker must not be empty",
                **row_location(df, path, i, "speaker" if row.transcript_id else "transcript_id"),
                hint="each roster row maps one speaker label in one transcript",
            )
        if row.role not in ROLES:
            raise ContractError(
                f"role must be one of {', '.join(ROLES)}, got {row.role!r}",
                **row_location(df, path, i, "role"),
            )
        if row.role == ROLE_PARTICIPANT and not row.participant_id:
            raise ContractError(
                f"participant {row.speaker!r} has no participant_id"
                if row.speaker
                else "a participant row has no participant_id",
                **row_location(df, path, i, "participant_id"),
                hint="give every participant a stable id (e.g. P01)",
            )
    if sheet:
        return df
    keys = df["transcript_id"] + "\x00" + df["speaker"].map(speaker_key)
    dup = keys.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"speaker {df['speaker'].iat[i]!r} appears twice for transcript "
            f"{df['transcript_id'].iat[i]!r}",
            **row_location(df, path, i, "speaker"),
        )
    return df


def maps_speakers(roster: pd.DataFrame) -> bool:
    """Whether the roster maps transcript speakers to participants (a participant sheet does not)."""
    return bool(len(roster)) and bool((roster["speaker"] != "").all())


def require_speaker_mapping(roster: pd.DataFrame, path: str | Path | None) -> None:
    """Raise where transcript speakers must be mapped and `roster` is a participant sheet."""
    if len(roster) and not maps_speakers(roster):
        raise ContractError(
            "this roster lists participants but has no speaker column, so it cannot map the "
            "speakers of a transcript to participants",
            file=path,
            line=1,
            hint="add transcript_id and speaker columns (one row per speaker label in each "
            "transcript); participant reports (demographics, crosstabs) need only participant_id",
        )


def attribute_columns(roster: pd.DataFrame) -> list[str]:
    """The attribute columns of a roster (everything but the mapping columns), in file order."""
    return [c for c in roster.columns if c not in ROSTER_META_COLUMNS]

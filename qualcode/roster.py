"""The roster: who spoke in which transcript, their participant id, role and attributes.

roster.csv columns: `transcript_id, speaker, participant_id, role` plus any attribute columns.
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


# Columns that describe the row, not the person; everything else is an attribute.
ROSTER_META_COLUMNS = ("transcript_id", "speaker", "participant_id", "role")


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read and check roster.csv; `role` defaults to participant. Errors name the row."""
    df = read_table(path, what="roster", columns=ROSTER_META_COLUMNS, required=ROSTER_REQUIRED)
    require_columns(df, ROSTER_REQUIRED, path, "roster")
    if "role" not in df.columns:
        df["role"] = ""
    for col in ROSTER_META_COLUMNS:
        df[col] = df[col].str.strip()
    df["role"] = df["role"].str.lower()
    df.loc[df["role"] == "", "role"] = ROLE_PARTICIPANT
    df["role"] = df["role"].replace(
        {"moderator": ROLE_FACILITATOR, "interviewer": ROLE_FACILITATOR}
    )
    for i, row in enumerate(df.itertuples(index=False)):
        if not row.transcript_id or not row.speaker:
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
                f"participant {row.speaker!r} has no participant_id",
                **row_location(df, path, i, "participant_id"),
                hint="give every participant a stable id (e.g. P01)",
            )
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


def attribute_columns(roster: pd.DataFrame) -> list[str]:
    """The attribute columns of a roster (everything but the mapping columns), in file order."""
    return [c for c in roster.columns if c not in ROSTER_META_COLUMNS]

"""Problems users can act on.

Two kinds (see docs/style.md): a *finding* in the user's data is a record (`Finding`) collected by
validators so every problem is reported at once; a *fatal* problem raises `QualcodeError`, which the
CLI turns into one line `error: <file>:<line>: <message>` plus an optional `hint:` line, exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def format_location(
    file: str | Path | None, line: int | None = None, column: int | str | None = None
) -> str:
    """`file:line:column` with the parts that are known (1-based, as users count)."""
    parts: list[str] = []
    if file is not None:
        parts.append(str(file))
    if line is not None:
        parts.append(str(line))
        if column is not None:
            parts.append(str(column))
    return ":".join(parts)


class QualcodeError(Exception):
    """A fatal problem with the user's input or environment, with where it is and what to do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.hint = hint

    @property
    def location(self) -> str:
        return format_location(self.file, self.line, self.column)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}: {self.message}" if loc else self.message


class InputFormatError(QualcodeError):
    """A transcript or table that cannot be read as what it claims to be."""


class ContractError(QualcodeError):
    """A qualcode data file (segments, codings, roster, decisions) that breaks its contract."""


class CodebookError(QualcodeError):
    """A codebook that cannot be loaded (fatal); individual problems are `Finding`s."""


class OutputError(QualcodeError):
    """An output that cannot be written safely."""


@dataclass(frozen=True)
class Finding:
    """One problem found in the user's data, with a stable `kind` slug and a 1-based position."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | str | None = None
    severity: str = "error"  # "error" | "warning"

    @property
    def location(self) -> str:
        return format_location(self.file, self.line, self.column)

    def __str__(self) -> str:
        loc = self.location
        return f"{loc}: {self.message}" if loc else self.message


class FindingsError(QualcodeError):
    """Raised when a validation produced errors; carries every finding so all are reported at once."""

    def __init__(self, message: str, findings: list[Finding], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.findings = findings

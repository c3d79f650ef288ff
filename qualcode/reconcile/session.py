"""The interactive reconcile session: walk the differences, append each decision to the log at once
(the terminal loop lives in qualcode/cli/reconcile.py)."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.model import DECISION_COLUMNS
from qualcode.reconcile.consensus import ReconcileResult, reconcile_pair
from qualcode.reconcile.decisions import (
    ADDED,
    REPLAY,
    check_decisions,
    read_decisions,
    timestamp,
)
from qualcode.reconcile.pair import CodingPair

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class ReconcileSession:
    """Walk the differences one by one; every decision is appended to the log file at once.

    The log is the session's state: re-opening it resumes at the first undecided difference. A
    decision taken again (after going back) is appended too; the last one per (segment, code) wins,
    and `finish` rewrites the log with exactly one row per decision.
    """

    def __init__(
        self,
        pair: CodingPair,
        log_path: str | Path,
        *,
        decided_by: str = "",
        seed: pd.DataFrame | None = None,
        seed_file: str | Path | None = None,
    ) -> None:
        self.pair = pair
        self.log_path = Path(log_path)
        self.decided_by = decided_by
        self.resumed = 0
        self.seeded = 0
        self.decisions = self._load()
        self.resumed = len(self.decisions)
        if seed is not None:
            checked = check_decisions(pair, seed, file=seed_file)
            for row in checked.to_dict("records"):
                if (row["segment_id"], row["code_id"]) not in self.decisions:
                    row["strategy"] = REPLAY
                    row["decided_by"] = row["decided_by"] or decided_by
                    self.record(row)
                    self.seeded += 1
        self.keys = list(
            zip(pair.differences["segment_id"], pair.differences["code_id"], strict=True)
        )

    def _load(self) -> dict[tuple[str, str], dict[str, str]]:
        if not self.log_path.exists():
            return {}
        raw = self.log_path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            # A kill mid-write leaves a partial last row: drop it (it was never acknowledged).
            from qualcode.io import atomic_write_bytes

            atomic_write_bytes(self.log_path, raw[: raw.rfind(b"\n") + 1], backup=True)
        if not self.log_path.read_bytes().strip():
            return {}
        checked = check_decisions(
            self.pair, read_decisions(self.log_path), file=self.log_path, repeats="last"
        )
        return {(r["segment_id"], r["code_id"]): r for r in checked.to_dict("records")}

    # -- state
    def decision_for(self, key: tuple[str, str]) -> dict[str, str] | None:
        return self.decisions.get(key)

    def pending(self) -> list[tuple[str, str]]:
        """The differences not decided yet, in order."""
        return [k for k in self.keys if k not in self.decisions]

    def first_pending_index(self, start: int = 0) -> int | None:
        for i in list(range(start, len(self.keys))) + list(range(0, start)):
            if self.keys[i] not in self.decisions:
                return i
        return None

    def added_codes(self, segment_id: str) -> list[str]:
        return [
            c for (s, c), r in self.decisions.items() if s == segment_id and r["decision"] == ADDED
        ]

    # -- changes
    def decide(
        self,
        segment_id: str,
        code_id: str,
        decision: str,
        *,
        reason: str = "",
        now: datetime | None = None,
    ) -> dict[str, str]:
        """Validate one decision and append it to the log (flushed and fsynced)."""
        import pandas as pd

        row = {
            "segment_id": segment_id,
            "code_id": code_id,
            "coder_a": "",
            "coder_b": "",
            "decision": decision,
            "strategy": "interactive",
            "decided_by": self.decided_by,
            "reason": reason,
            "timestamp": timestamp(now),
        }
        checked = check_decisions(self.pair, pd.DataFrame([row])).to_dict("records")[0]
        return self.record(checked)

    def record(self, row: dict[str, str]) -> dict[str, str]:
        key = (row["segment_id"], row["code_id"])
        a_codes = set(self.pair.codes_of("a", key[0]))
        b_codes = set(self.pair.codes_of("b", key[0]))
        row = {c: str(row.get(c, "") or "") for c in DECISION_COLUMNS}
        row["coder_a"] = "1" if key[1] in a_codes else "0"
        row["coder_b"] = "1" if key[1] in b_codes else "0"
        append_decision(self.log_path, row)
        self.decisions[key] = row
        return row

    def finish(self, *, now: datetime | None = None) -> ReconcileResult:
        """Apply the complete log: the consensus, and the log rewritten one row per decision."""
        import pandas as pd

        from qualcode.io import write_csv_rows

        table = pd.DataFrame(list(self.decisions.values()), columns=list(DECISION_COLUMNS))
        result = reconcile_pair(
            self.pair,
            strategy="interactive",
            decisions=table,
            decided_by=self.decided_by,
            now=now,
            decisions_file=self.log_path,
            keep_strategy=True,
        )
        # Only rewrite when going back left superseded rows (the backup keeps them).
        if len(read_decisions(self.log_path)) != len(result.decisions):
            write_csv_rows(
                self.log_path, DECISION_COLUMNS, result.decisions.itertuples(index=False)
            )
        return result


def append_decision(path: str | Path, row: dict[str, str]) -> None:
    """Append one row (header first if the file is new), then flush and fsync: a kill -9 loses at
    most the decision being written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    from qualcode.io import csv_line  # a reason holding \r is quoted

    with open(path, "a", encoding="utf-8", newline="") as fh:
        if new:
            fh.write(csv_line(DECISION_COLUMNS))
        fh.write(csv_line([row.get(c, "") for c in DECISION_COLUMNS]))
        fh.flush()
        with contextlib.suppress(OSError):
            os.fsync(fh.fileno())

"""The negotiated path: a disagreements sheet the coders fill in discussion, replayed as a
decisions log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.reconcile.pair import CodingPair, _cells, _order

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SHEET_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "code_id",
    "code_label",
    "coder_a",
    "coder_b",
    "decision",
    "reason",
    "decided_by",
    "speaker",
    "text",
    "codes_a",
    "codes_b",
)
SHEET_HELP: tuple[str, ...] = (
    "One row per disagreement: a code on a segment that one coder applied and the other did not "
    "(coder_a / coder_b: 1 applied, 0 not).",
    "Discuss each row and write the decision: keep (the code stays in the consensus) or drop; "
    "write the reason, and who decided in decided_by.",
    "To add a code neither coder applied, add a row: segment_id, code_id, decision add, reason.",
    "Rows left without a decision stay open: replaying the sheet asks for them (or a --strategy "
    "decides them mechanically, and the reports say so).",
    "Replay: qualcode reconcile A.csv B.csv --decisions THIS_FILE -o consensus.csv",
)


def disagreements_sheet(pair: CodingPair, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every difference of `pair` as a sheet to fill in discussion (SHEET_COLUMNS): the code and its
    label, which coder applied it, both coders' codes on the segment and its text, and empty
    decision / reason / decided_by cells. Replayed with `--decisions` it is a decisions log."""
    import numpy as np
    import pandas as pd

    diffs = pair.differences
    out = pd.DataFrame(
        {
            "segment_id": diffs["segment_id"].to_numpy(),
            "code_id": diffs["code_id"].to_numpy(),
        }
    )
    book = pair.codebook
    out["code_label"] = [
        book.code(c).label if book is not None and c in book else "" for c in out["code_id"]
    ]
    out["coder_a"] = np.where(diffs["in_a"].to_numpy(dtype=bool), "1", "0")
    out["coder_b"] = np.where(diffs["in_b"].to_numpy(dtype=bool), "1", "0")
    for col in ("decision", "reason", "decided_by"):
        out[col] = ""
    if segments is not None and len(out):
        info = segments.drop_duplicates("segment_id").set_index("segment_id")
        info = info.reindex(out["segment_id"])
        out["speaker"] = info["speaker"].fillna("").astype(str).to_numpy()
        out["text"] = info["text"].fillna("").astype(str).to_numpy()
    else:
        out["speaker"] = ""
        out["text"] = ""

    def code_sets(df: pd.DataFrame) -> dict[str, str]:
        cells = _cells(df)
        cells = cells[cells["segment_id"].isin(set(out["segment_id"]))]
        ranked = _order(cells, pair.segment_rank, pair.code_rank)
        return ranked.groupby("segment_id", sort=False)["code_id"].agg(", ".join).to_dict()

    sets_a, sets_b = code_sets(pair.a), code_sets(pair.b)
    out["codes_a"] = [sets_a.get(s, "") for s in out["segment_id"]]
    out["codes_b"] = [sets_b.get(s, "") for s in out["segment_id"]]
    return out[list(SHEET_COLUMNS)].reset_index(drop=True)

"""Three or more coders: agreement over all coders at once, and every pair's kappa.

Per code, each coder's decision on each segment is present (1), absent (0), or missing (the coder did
not review the segment). That units x coders array goes to the general engine of `stats`: Fleiss'
kappa (Fleiss 1971, with missing ratings as in Gwet 2014, ch. 2), Krippendorff's alpha (nominal;
Krippendorff 2011: units with fewer than 2 values dropped) and Gwet's AC1 (Gwet 2014, eq. 2.11), over
the segments at least two coders reviewed. Every pair of coders is also compared as two coders are
(`compare_codings`), giving each pair's Cohen's kappa per code and pooled. Themes and constructs are
rolled up as the two-coder report rolls them up (a segment has a theme when it has any of its
codes), and every (segment, code) cell is also pooled into one figure, with its caveat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.agreement.compare import (
    REVIEWED_CODINGS,
    REVIEWED_RULES,
    CoderError,
    OverlapError,
    _band,
    _check_codes,
    _check_columns,
    _check_not_empty,
    _check_segments,
    _coder_name,
    _name,
    _natural_order,
    _plain,
    _records,
    _stripped,
    _with_reviewed_rows,
    code_groups,
    compare_codings,
)
from qualcode.errors import ContractError
from qualcode.model import Codebook

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

MULTI_STATS: tuple[str, ...] = ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1")


@dataclass
class MultiComparison:
    """What `compare_many` found; `multi_to_dict` gives its JSON form."""

    coders: tuple[str, ...]
    files: tuple[str | None, ...]
    reviewed: tuple[int, ...]  # segments each coder reviewed
    units: int  # segments reviewed by 2 or more coders (the units of the statistics)
    units_all: int  # segments reviewed by every coder
    per_code: pd.DataFrame  # code_id, label, theme_id, construct_id, applied_<coder>..., statistics
    pairs: pd.DataFrame  # coder_a, coder_b, double_coded, pooled kappa, median/min/max per code
    pair_kappa: pd.DataFrame  # code_id x "<a> & <b>": each pair's Cohen's kappa per code
    summary: dict[str, Any]
    reviewed_rule: str = REVIEWED_CODINGS
    codebook_title: str | None = None
    notes: list[str] = field(default_factory=list)
    # Theme and construct rows (id, label, [construct_id], n_codes, applied_<coder>..., statistics):
    # a segment has a theme when it has any of its codes, as the two-coder report rolls up.
    per_theme: pd.DataFrame | None = None
    per_construct: pd.DataFrame | None = None


def compare_many(
    frames: list[pd.DataFrame],
    *,
    paths: list[str | Path | None] | None = None,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    segments_path: str | Path | None = None,
    reviewed: str = REVIEWED_CODINGS,
    include_facilitator: bool = False,
) -> MultiComparison:
    """Agreement of 3 or more coders (one codings DataFrame each, the codings.csv contract)."""
    import numpy as np
    import pandas as pd

    from qualcode.project import study_relative

    paths = list(paths) if paths is not None else [None] * len(frames)
    labels = [f"coder {i + 1}" for i in range(len(frames))]
    if len(frames) < 3:
        raise ContractError("compare_many takes 3 or more codings files; 2 go to compare_codings")
    if reviewed not in REVIEWED_RULES:
        raise ContractError(
            f"reviewed must be one of {', '.join(REVIEWED_RULES)}, got {reviewed!r}"
        )
    clean: list[pd.DataFrame] = []
    names: list[str] = []
    for df, path, label in zip(frames, paths, labels, strict=True):
        _check_columns(df, path, label)
        _check_not_empty(df, path, label)
        df = df.assign(segment_id=_stripped(df["segment_id"]), code_id=_stripped(df["code_id"]))
        df = df.reset_index(drop=True)
        name = _coder_name(df, path, label)
        if name in names:
            other = paths[names.index(name)]
            raise CoderError(
                f"two files are from coder {name!r}",
                file=_name(path, label),
                hint=f"{_name(other, 'another file')} is {name!r} too: compare different coders",
            )
        names.append(name)
        if codebook is not None:
            _check_codes(df, codebook, path, label)
        if segments is not None:
            known = pd.Index(segments["segment_id"].astype(str))
            seg_file = str(segments_path) if segments_path is not None else None
            _check_segments(df, known, path, label, seg_file)
        if reviewed != REVIEWED_CODINGS:
            if segments is None:
                raise ContractError(
                    f"what the coders reviewed ({reviewed!r}) is read from the segments file, "
                    "and none was given"
                )
            df = _with_reviewed_rows(df, segments, reviewed, include_facilitator)
        clean.append(df)

    if codebook is not None:
        code_ids = codebook.code_ids()
    else:
        seen = pd.concat([df["code_id"] for df in clean])
        code_ids = sorted(set(seen[seen != ""].tolist()))

    reviewed_sets = [pd.Index(df["segment_id"].unique()) for df in clean]
    union = reviewed_sets[0]
    for ids in reviewed_sets[1:]:
        union = union.union(ids, sort=False)
    if segments is not None:
        order = [s for s in segments["segment_id"].astype(str).unique() if s in set(union)]
    else:
        order = _natural_order(union.tolist())
    units_all = pd.Index(order)
    rated = np.column_stack([units_all.isin(ids) for ids in reviewed_sets])  # units x coders
    keep = rated.sum(axis=1) >= 2
    if not keep.any():
        raise OverlapError(
            "no segment was reviewed by two or more coders: there is nothing to compare",
            file=_name(paths[-1], labels[-1]),
        )
    units = units_all[keep]
    rated = rated[keep]
    codes = pd.Index(code_ids)
    # applied[c] is units x coders x codes (bool); missing where the coder did not review the unit.
    applied = np.zeros((len(units), len(clean), len(codes)), dtype=bool)
    for j, df in enumerate(clean):
        rows = units.get_indexer(df["segment_id"])
        cols = codes.get_indexer(df["code_id"])
        ok = (rows >= 0) & (cols >= 0)
        applied[rows[ok], j, cols[ok]] = True

    stats: dict[str, list[float]] = {k: [] for k in MULTI_STATS}
    reasons: list[str] = []
    for k in range(len(codes)):
        values, why = _statistics(np.where(rated, applied[:, :, k].astype(float), np.nan))
        for key in MULTI_STATS:
            stats[key].append(values[key])
        if not applied[:, :, k].any():
            why = "no coder applied the code"
        reasons.append(why)

    head: dict[str, Any] = {"code_id": code_ids}
    if codebook is not None:
        head["label"] = [codebook.code(c).label for c in code_ids]
        head["theme_id"] = [codebook.code(c).theme_id or "" for c in code_ids]
        head["construct_id"] = [codebook.code(c).construct_id or "" for c in code_ids]
    else:
        head["label"] = [""] * len(code_ids)
        head["theme_id"] = [""] * len(code_ids)
        head["construct_id"] = [""] * len(code_ids)
    per_code = pd.DataFrame(head)
    for j, name in enumerate(names):
        per_code[f"applied_{name}"] = applied[rated[:, j], j, :].sum(axis=0).astype(int)
    for key in MULTI_STATS:
        per_code[key] = np.array(stats[key], dtype=float)
    per_code["alpha_band"] = _band(per_code["krippendorff_alpha"].to_numpy())
    per_code["reason"] = reasons

    pair_rows = []
    pair_kappa = pd.DataFrame({"code_id": code_ids, "label": head["label"]})
    for (i, a), (j, b) in combinations(enumerate(clean), 2):
        try:
            c = compare_codings(
                a,
                b,
                codebook=codebook,
                segments=segments,
                a_path=paths[i],
                b_path=paths[j],
                segments_path=segments_path,
                include_facilitator=include_facilitator,
            )
        except OverlapError:
            pair_rows.append(
                {
                    "coder_a": names[i],
                    "coder_b": names[j],
                    "double_coded": 0,
                    "pooled_cohen_kappa": float("nan"),
                    "median_code_kappa": float("nan"),
                    "min_code_kappa": float("nan"),
                    "max_code_kappa": float("nan"),
                }
            )
            pair_kappa[f"{names[i]} & {names[j]}"] = float("nan")
            continue
        kappas = c.per_code.set_index("code_id")["cohen_kappa"].reindex(code_ids)
        pair_kappa[f"{names[i]} & {names[j]}"] = kappas.to_numpy(dtype=float)
        defined = kappas.dropna()
        pair_rows.append(
            {
                "coder_a": names[i],
                "coder_b": names[j],
                "double_coded": c.double_coded,
                "pooled_cohen_kappa": float(c.overall["pooled"]["cohen_kappa"]),
                "median_code_kappa": float(defined.median()) if len(defined) else float("nan"),
                "min_code_kappa": float(defined.min()) if len(defined) else float("nan"),
                "max_code_kappa": float(defined.max()) if len(defined) else float("nan"),
            }
        )
    pairs = pd.DataFrame(pair_rows)

    summary: dict[str, Any] = {}
    for key in MULTI_STATS:
        values = per_code[key].dropna()
        summary[key] = {
            "median": float(values.median()) if len(values) else float("nan"),
            "min": float(values.min()) if len(values) else float("nan"),
            "max": float(values.max()) if len(values) else float("nan"),
            "codes_defined": int(len(values)),
        }
    summary["codes_below_0_667_alpha"] = int((per_code["krippendorff_alpha"] < 0.667).sum())
    # Every (segment, code) cell as a unit: the pooled figure two-coder compare reports, with the
    # same caveat (O'Connor & Joffe 2020: dominated by cells no coder coded).
    cells = (
        np.concatenate(
            [np.where(rated, applied[:, :, k].astype(float), np.nan) for k in range(len(codes))]
        )
        if len(codes)
        else np.empty((0, len(clean)))
    )
    pooled, _ = _statistics(cells)
    summary["pooled"] = {**pooled, "cells": int(cells.shape[0])}
    per_theme, per_construct = _rollups(codebook, code_ids, rated, applied, names)
    notes = [
        "Unit: segment (turn); a code a coder did not apply to a segment they reviewed is "
        "'absent', a segment they did not review is missing for them.",
        f"{len(units)} segment(s) reviewed by 2 or more coders enter the statistics; "
        f"{int(rated.all(axis=1).sum())} were reviewed by all {len(names)} coders.",
    ]
    return MultiComparison(
        coders=tuple(names),
        files=tuple(study_relative(p) if p is not None else None for p in paths),
        reviewed=tuple(len(s) for s in reviewed_sets),
        units=len(units),
        units_all=int(rated.all(axis=1).sum()),
        per_code=per_code,
        pairs=pairs,
        pair_kappa=pair_kappa,
        summary=summary,
        reviewed_rule=reviewed,
        codebook_title=codebook.title if codebook is not None else None,
        notes=notes,
        per_theme=per_theme,
        per_construct=per_construct,
    )


def _statistics(ratings: np.ndarray) -> tuple[dict[str, float], str]:
    """Fleiss' kappa, Krippendorff's alpha and Gwet's AC1 of a units x coders array of 0/1 (NaN =
    not reviewed), and the first reason one of them is undefined."""
    from qualcode.agreement.stats import fleiss_kappa, gwet_ac1, krippendorff_alpha

    values: dict[str, float] = {}
    why = ""
    for key, fn in (
        ("fleiss_kappa", fleiss_kappa),
        ("krippendorff_alpha", krippendorff_alpha),
        ("gwet_ac1", gwet_ac1),
    ):
        result = fn(ratings, categories=[0.0, 1.0])
        values[key] = float(result.value)
        why = why or (result.reason or "")
    return values, why


def _rollups(codebook, code_ids, rated, applied, names) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Theme and construct rows: per coder, a segment has the theme (construct) when the coder
    applied any of its codes there; the three statistics over those units x coders arrays."""
    import numpy as np
    import pandas as pd

    def table(groups: list[tuple[str, str, list[int]]], extra: dict[str, list]) -> pd.DataFrame:
        rows = []
        for gid, label, cols in groups:
            has = applied[:, :, cols].any(axis=2) if cols else np.zeros(rated.shape, dtype=bool)
            values, why = _statistics(np.where(rated, has.astype(float), np.nan))
            if not has.any():
                why = "no coder applied any of its codes"
            row: dict[str, Any] = {"id": gid, "label": label, "n_codes": len(cols)}
            for j, name in enumerate(names):
                row[f"applied_{name}"] = int(has[rated[:, j], j].sum())
            rows.append({**row, **values, "reason": why})
        df = pd.DataFrame(
            rows,
            columns=["id", "label", "n_codes"]
            + [f"applied_{n}" for n in names]
            + list(MULTI_STATS)
            + ["reason"],
        )
        for i, (key, values_) in enumerate(extra.items()):
            df.insert(2 + i, key, values_)
        df.insert(
            len(df.columns) - 1, "alpha_band", _band(df["krippendorff_alpha"].to_numpy(dtype=float))
        )
        return df

    themes, constructs, theme_constructs = code_groups(codebook, list(code_ids))
    return table(themes, {"construct_id": theme_constructs}), table(constructs, {})


def multi_to_dict(m: MultiComparison) -> dict[str, Any]:
    """The stable JSON structure of a comparison of 3 or more coders."""
    return {
        **_plain(
            {
                "coders": list(m.coders),
                "files": list(m.files),
                "codebook": m.codebook_title,
                "reviewed": dict(zip(m.coders, m.reviewed, strict=True)),
                "units": m.units,
                "units_reviewed_by_all": m.units_all,
                "reviewed_rule": {
                    "rule": m.reviewed_rule,
                    "means": REVIEWED_RULES[m.reviewed_rule],
                },
                "summary": m.summary,
                "notes": m.notes,
            }
        ),
        "per_code": _records(m.per_code),
        "per_theme": _records(m.per_theme) if m.per_theme is not None else [],
        "per_construct": _records(m.per_construct) if m.per_construct is not None else [],
        "pairs": _records(m.pairs),
        "pair_kappa": _records(m.pair_kappa),
    }

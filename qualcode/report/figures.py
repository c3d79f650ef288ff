"""Figures for reports, as PNG bytes (matplotlib, headless): the saturation discovery curve."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.saturation import SaturationReport


def discovery_curve_png(report: SaturationReport, *, dpi: int = 150) -> bytes:
    """Share of all final codes seen after k events, observed order, with the permutation band
    (2.5-97.5 percentiles of random orders) when the report has one."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    curve = report.curve
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    k = curve["k"].to_numpy()
    if "band_low" in curve.columns:
        ax.fill_between(
            k,
            curve["band_low"].to_numpy(),
            curve["band_high"].to_numpy(),
            color="0.85",
            label="random orders (2.5-97.5%)",
        )
        ax.plot(k, curve["band_median"].to_numpy(), color="0.55", lw=1, ls="--", label="median")
    ax.plot(k, curve["share"].to_numpy(), marker="o", color="C0", label="observed order")
    for level, style in ((0.8, ":"), (0.9, "-.")):
        ax.axhline(level, color="0.4", lw=0.8, ls=style)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(k)
    ax.set_xticklabels(
        [f"{i}\n{t}" for i, t in zip(k, curve["transcript_id"], strict=True)], fontsize=7
    )
    ax.set_xlabel("events (data-collection order)")
    ax.set_ylabel("share of final codes seen")
    ax.set_title(
        f"Discovery curve: {report.n_codes_final} codes; saturation {report.outcome.result}"
    )
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()

"""Inter-coder agreement: the statistics engine (`stats`) and two coders' codings compared (`compare`).

The public statistics of `qualcode.agreement.stats` are re-exported here lazily (PEP 562): importing
`qualcode.agreement.compare` or this package does not import numpy; the first use of a statistic
does. That keeps `qualcode --help` fast even if a CLI module imports from this package at top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "AgreementInputError",
    "AgreementResult",
    "binary_agreement",
    "binary_counts",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "jaccard_distance",
    "krippendorff_alpha",
    "masi_distance",
    "percent_agreement",
    "scott_pi",
    "set_alpha",
    "set_alpha_matrix",
]

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.agreement.stats import (
        AgreementInputError,
        AgreementResult,
        binary_agreement,
        binary_counts,
        brennan_prediger,
        cohen_kappa,
        fleiss_kappa,
        gwet_ac1,
        jaccard_distance,
        krippendorff_alpha,
        masi_distance,
        percent_agreement,
        scott_pi,
        set_alpha,
        set_alpha_matrix,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        from qualcode.agreement import stats

        return getattr(stats, name)
    raise AttributeError(f"module 'qualcode.agreement' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

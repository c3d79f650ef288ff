"""Inter-coder agreement: the statistics engine (`stats`) and two coders' codings compared (`compare`).

The public statistics are re-exported here; numpy is imported on first use of this package, so CLI
modules import it inside their command functions.
"""

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
)

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
]

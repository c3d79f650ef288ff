"""Reconcile two coders' codings into a consensus, with an auditable decisions log.

Negotiated agreement (Campbell et al. 2013, Sociological Methods & Research 42(3):294-320): the coders
code independently, agreement is measured, then each disagreement is decided and logged (who, what,
why, when), so the consensus can be audited and re-made. A *difference* is a (segment, code) cell on a
segment both coders reviewed where exactly one of them applied the code. Codes both applied are kept
without a decision; every difference gets exactly one decision (`kept` / `dropped`), and codes added in
discussion that neither coder applied are logged as `added`.

Conventions (decided once):
- Segments reviewed by one coder only are carried into the consensus as that coder coded them (there is
  nothing to reconcile there); the summary counts them.
- A replayed decisions log wins over the strategy; the strategy (if any) resolves the differences the
  log does not cover. Each log row records how it was decided: `replay` or the strategy's name.
- union, intersection, prefer-a and prefer-b are mechanical shortcuts, not negotiated agreement
  (Campbell et al. 2013; O'Connor & Joffe 2020): their rows say `decided_by: rule:<strategy>`, and a
  coder's agreement with a consensus that holds any such decision is inflated by construction (a
  union contains each coder's codes), so it is never reported as post-discussion agreement.
- The negotiated path: `disagreements_sheet` lists every difference with both coders' codes and the
  text, with empty decision/reason columns the coders fill in discussion (keep/drop, add rows for
  codes added); replayed as a decisions log, rows left undecided are still open.
- Agreement before/after is computed on the double-coded segments only, pooled over code x segment
  cells (codes = the codebook's when given, else every code observed).

The package, one idea per module: `pair` (the two codings checked against each other, their
differences), `decisions` (the decisions log: reading and checking it), `consensus` (deciding every
difference and building the consensus), `summary` (agreement before and after), `session` (the
interactive session), `sheet` (the disagreements sheet), `majority` (3 or more coders). The public
names are re-exported here: `from qualcode.reconcile import reconcile` works as before.
"""

from qualcode.reconcile.consensus import (
    CONSENSUS,
    RECONCILE_STEPS,
    ReconcileResult,
    build_consensus,
    reconcile,
    reconcile_pair,
)
from qualcode.reconcile.decisions import (
    ADDED,
    AUTOMATIC_STRATEGIES,
    DECISION_REQUIRED,
    DROPPED,
    KEPT,
    MECHANICAL_WORDING,
    REPLAY,
    RULE_PREFIX,
    STRATEGIES,
    check_decisions,
    is_mechanical,
    mechanical_rules,
    read_decisions,
    timestamp,
)
from qualcode.reconcile.pair import (
    CodingPair,
    find_differences,
    prepare_pair,
)
from qualcode.reconcile.session import (
    ReconcileSession,
    append_decision,
)
from qualcode.reconcile.sheet import (
    SHEET_COLUMNS,
    SHEET_HELP,
    disagreements_sheet,
)
from qualcode.reconcile.summary import (
    ReconcileSummary,
    agreement_from_counts,
    pooled_counts,
    summarise,
    textbook_agreement,
)

__all__ = [
    "ADDED",
    "AUTOMATIC_STRATEGIES",
    "CONSENSUS",
    "CodingPair",
    "DECISION_REQUIRED",
    "DROPPED",
    "KEPT",
    "MECHANICAL_WORDING",
    "RECONCILE_STEPS",
    "REPLAY",
    "RULE_PREFIX",
    "ReconcileResult",
    "ReconcileSession",
    "ReconcileSummary",
    "SHEET_COLUMNS",
    "SHEET_HELP",
    "STRATEGIES",
    "agreement_from_counts",
    "append_decision",
    "build_consensus",
    "check_decisions",
    "disagreements_sheet",
    "find_differences",
    "is_mechanical",
    "mechanical_rules",
    "pooled_counts",
    "prepare_pair",
    "read_decisions",
    "reconcile",
    "reconcile_pair",
    "summarise",
    "textbook_agreement",
    "timestamp",
]

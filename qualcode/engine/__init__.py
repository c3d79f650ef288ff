"""Where the data-parallel steps run: in this process (`local`, the default) or on a Dask cluster
(`dask`, the optional extra `qualcode[dask]`).

Both run the same pure partition functions (`coding.autocode.autocode_partition`,
`agreement.compare.agreement_partition`, wrapped for workers in `engine.tasks`); only the loop
differs. The core never imports Dask: `engine.dask` does, when `--engine dask` asks for it.
"""

from __future__ import annotations

from qualcode import extras
from qualcode.errors import QualcodeError

ENGINES = ("local", "dask")
EXTRA = "dask"
# (import name, distribution) of what the extra installs
REQUIRED = (("dask", "dask"), ("distributed", "distributed"))


MissingExtraError = extras.MissingExtraError  # re-exported: callers catch it from here


class EngineError(QualcodeError):
    """A run on the cluster that cannot start or did not finish (which partition, and why)."""


def require_extra(what: str = "--engine dask") -> None:
    """Raise `MissingExtraError` naming the missing packages and the install command."""
    extras.require(EXTRA, REQUIRED, what)

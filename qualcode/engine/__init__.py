"""Where the data-parallel steps run: in this process (`local`, the default) or on a Dask cluster
(`dask`, the optional extra `qualcode[dask]`).

Both run the same pure partition functions (`coding.autocode.autocode_partition`,
`agreement.compare.agreement_partition`, wrapped for workers in `engine.tasks`); only the loop
differs. The core never imports Dask: `engine.dask` does, when `--engine dask` asks for it.
"""

from __future__ import annotations

from qualcode.errors import QualcodeError

ENGINES = ("local", "dask")
EXTRA = "dask"
INSTALL = 'pip install "qualcode[dask]"'
# (import name, distribution) of what the extra installs
REQUIRED = (("dask", "dask"), ("distributed", "distributed"))


class MissingExtraError(QualcodeError):
    """The optional extra [dask] is not installed."""


class EngineError(QualcodeError):
    """A run on the cluster that cannot start or did not finish (which partition, and why)."""


def require_extra(what: str = "--engine dask") -> None:
    """Raise `MissingExtraError` naming the missing packages and the install command."""
    import importlib

    missing = []
    for module, dist in REQUIRED:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise MissingExtraError(
            f"{what} needs the optional extra [{EXTRA}] ({', '.join(missing)} not installed): "
            f"install it with {INSTALL}"
        )

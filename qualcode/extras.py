"""Optional extras (`qualcode[semantic]`, `qualcode[dask]`): one check that what an extra installs
can be imported, so a command that needs one says which `pip install` line to run instead of failing
with an ImportError traceback. The core never imports an extra's packages; this module only tries.
"""

from __future__ import annotations

from qualcode.errors import QualcodeError


class MissingExtraError(QualcodeError):
    """An optional extra is not installed."""


def require(extra: str, required: tuple[tuple[str, str], ...], what: str) -> None:
    """Raise `MissingExtraError` naming the missing distributions of `extra` and the install
    command; `required` holds (import name, distribution) pairs."""
    import importlib

    missing = []
    for module, dist in required:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise MissingExtraError(
            f"{what} needs the optional extra [{extra}] ({', '.join(missing)} not installed): "
            f'install it with pip install "qualcode[{extra}]"'
        )

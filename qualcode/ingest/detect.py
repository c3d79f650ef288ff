"""Which format a transcript file is in, and how to turn its bytes into text.

Real files arrive as UTF-8 with or without a BOM, with CRLF line ends, or as Windows-1252 from old
Word installs; binary files (PDF, .doc, images) dressed as .txt must fail with a clear message, not as
mojibake turns.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from qualcode.errors import InputFormatError

# Parser names (ParsedTranscript.format) a user may force with `--format`.
FORMATS: tuple[str, ...] = ("text", "otter", "docx", "vtt", "srt", "table")

# Extension -> format; ".txt" is sniffed further (plain text, Otter.ai, or a VTT/SRT saved as .txt).
EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".docx": "docx",
    ".vtt": "vtt",
    ".srt": "srt",
    ".csv": "table",
    ".tsv": "table",
    ".xlsx": "table",
}
BINARY_FORMATS = frozenset({"docx"})  # read from the path, never decoded as text
BINARY_EXTENSIONS = frozenset({".docx", ".xlsx"})

# Formats we recognise but cannot read, with the fix.
_CONVERT = {
    ".doc": "save it as .docx (Word: File > Save As > Word Document)",
    ".rtf": "save it as .docx or plain text (.txt)",
    ".odt": "save it as .docx",
    ".pdf": "copy the text into a .txt file, or export the transcript as .docx",
    ".xls": "save it as .xlsx",
    ".pages": "export it as .docx",
}

_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.doc/.xls)"),
    (b"PK\x03\x04", "a zip archive (e.g. .docx/.xlsx)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF document"),
)

_OTTER_FOOTER = re.compile(r"^\s*transcribed by\s+(?:https?://)?(?:www\.)?otter\.ai", re.I)
_SRT_TIMING = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")


def supported_extensions() -> str:
    return " ".join(EXTENSIONS)


def decode_bytes(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes -> text with LF line ends, plus warnings (a cp1252 fallback names the file).

    Raises InputFormatError for binary data (NUL bytes, known binary signatures, control characters).
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputFormatError(
                f"starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte {exc.start})",
                file=source,
                hint="re-save the file as UTF-8",
            ) from exc
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFormatError(
                "starts with a UTF-16 byte-order mark but is not valid UTF-16",
                file=source,
                hint="re-save the file as UTF-8",
            ) from exc
    else:
        head = data[:8192]
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise InputFormatError(
                    f"this is {what}, not a text transcript",
                    file=source,
                    hint="give the file its real extension, or save the transcript as .txt or .docx",
                )
        if b"\x00" in head and _utf16_without_bom(head):
            return decode_bytes(
                (codecs.BOM_UTF16_LE if _utf16_without_bom(head) == "le" else codecs.BOM_UTF16_BE)
                + data,
                source,
            )
        if b"\x00" in head:
            raise InputFormatError(
                "binary file: not a text transcript",
                file=source,
                hint="transcripts must be text (.txt, .vtt, .srt, .csv) or Word/Excel (.docx, .xlsx)",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # cp1252 leaves five bytes undefined; "replace" keeps going and the warning says so.
            text = data.decode("cp1252", errors="replace")
            warnings.append(
                f"{source}: not valid UTF-8; read as Windows-1252 (cp1252) - "
                "check accented characters, or re-save the file as UTF-8"
            )
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if sample and controls > max(8, len(sample) // 20):
        raise InputFormatError(
            "binary file: not a text transcript",
            file=source,
            hint="transcripts must be text (.txt, .vtt, .srt, .csv) or Word/Excel (.docx, .xlsx)",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, warnings


def _utf16_without_bom(head: bytes) -> str | None:
    """ "le"/"be" for UTF-16 text saved without a byte-order mark (mostly ASCII, so every other byte
    is NUL); None for anything else."""
    if len(head) < 8:
        return None
    head = head[: len(head) // 2 * 2]
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "be"
    return None


def check_format(fmt: str) -> str:
    """A `--format` value, checked."""
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise InputFormatError(
            f"unknown format {fmt!r}", hint=f"choose one of: {', '.join(FORMATS)}"
        )
    return name


def format_from_extension(path: str | Path) -> str:
    """The format the extension promises (".txt" -> "text"; sniffing may refine it)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if ext in _CONVERT:
        raise InputFormatError(f"{ext} files are not supported", file=path, hint=_CONVERT[ext])
    shown = f"unsupported file type {ext!r}" if ext else "file has no extension"
    raise InputFormatError(
        shown,
        file=path,
        hint=f"supported: {supported_extensions()} (or force a format)",
    )


def looks_like_otter(text: str) -> bool:
    """Otter.ai text export: `Name  m:ss` header lines with the words below, and/or its footer."""
    from qualcode.ingest.otter import otter_header

    headers = 0
    first_content: str | None = None
    for line in text[:200_000].split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if first_content is None:
            first_content = stripped
        if otter_header(stripped) is not None:
            headers += 1
        elif _OTTER_FOOTER.match(stripped):
            return True
        if headers >= 2:
            return True
    return headers == 1 and first_content is not None and otter_header(first_content) is not None


def _looks_like_srt(text: str) -> bool:
    lines = [ln.strip() for ln in text[:2000].split("\n") if ln.strip()]
    return len(lines) >= 2 and lines[0].isdigit() and bool(_SRT_TIMING.match(lines[1]))


def detect_format(path: str | Path, text: str | None, fmt: str | None = None) -> str:
    """The parser for a file: `fmt` if given (checked), else extension plus content sniffing."""
    if fmt:
        return check_format(fmt)
    base = format_from_extension(path)
    if base != "text" or text is None:
        return base
    head = text.lstrip("\ufeff \n\t")
    if head.startswith("WEBVTT"):
        return "vtt"
    if _looks_like_srt(text):
        return "srt"
    if looks_like_otter(text):
        return "otter"
    return "text"

"""What REFI-QDA export and import share: namespaces, stable GUIDs, code descriptions, and safe
reading of untrusted `.qdpx` zips and XML.

Safety: a `.qdpx` comes from someone else's computer. Members are read into memory (never extracted),
after refusing absolute paths, `..`, symlinks, duplicate member names, too many members, too many
bytes in total, and members that inflate more than `max_ratio` times (zip bombs). Members are read in
chunks of `CHUNK` bytes and stop at the size the zip directory declares (whose sum is limited), so a
member that lies about its size cannot take more memory than it declared: its CRC check then fails. XML is parsed with `defusedxml`, which
refuses DTDs, entity declarations and external references (XXE, billion laughs).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from qualcode.errors import InputFormatError

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PREFIX = "urn:QDA-XML:"

# Fixed namespace of qualcode's uuid5 GUIDs: the same ids give the same GUIDs in every export.
GUID_NAMESPACE = uuid.UUID("5a0c6b1e-8f3d-4c2a-9e71-0d4f2b6c8a13")
_GUID_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)

DESCRIPTION_MARK = "[qualcode] "
NOT_REFI_HINT = (
    "a REFI-QDA project (.qdpx) is a zip holding project.qde and sources/; a codebook (.qdc) is "
    "an XML file whose root element is <CodeBook>"
)


def stable_guid(kind: str, *parts: str) -> str:
    """A GUID derived from qualcode ids (uuid5), so re-exports of the same study diff cleanly.

    `str(uuid.uuid5(GUID_NAMESPACE, name))` computed without building a UUID object (an export
    makes several per coding): SHA-1 of the namespace and the name, version 5 and the RFC 4122
    variant set in bytes 6 and 8 (RFC 4122, section 4.3)."""
    name = "\x1f".join((kind, *parts)).encode("utf-8")
    digest = bytearray(hashlib.sha1(_GUID_NAMESPACE_BYTES + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def normalise_guid(value: str | None) -> str | None:
    """Lower-case GUID without braces; None for a missing or malformed value."""
    if not value:
        return None
    m = _GUID.match(value.strip())
    return m.group(1).lower() if m else None


# --- code descriptions ---------------------------------------------------------------------------
def render_human(fields: dict) -> str:
    """The readable part of a code's Description: definition, include, exclude, examples."""
    parts: list[str] = []
    if fields.get("definition"):
        parts.append(fields["definition"])
    if fields.get("include"):
        parts.append(f"Include: {fields['include']}")
    if fields.get("exclude"):
        parts.append(f"Exclude: {fields['exclude']}")
    if fields.get("examples"):
        parts.append("Examples:\n" + "\n".join(f"- {e}" for e in fields["examples"]))
    return "\n\n".join(parts)


def render_description(fields: dict) -> str:
    """Readable text for other programs, then one `[qualcode] {json}` line that qualcode reads back
    (id, level, keywords, patterns and the exact texts)."""
    meta = {k: v for k, v in fields.items() if v not in ("", None, [], ())}
    human = render_human(fields)
    line = DESCRIPTION_MARK + json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    return f"{human}\n\n{line}" if human else line


def parse_human(text: str) -> dict:
    """Read definition / Include: / Exclude: / Examples: back from readable text (best effort)."""
    sections: dict[str, list[str]] = {"definition": [], "include": [], "exclude": []}
    examples: list[str] = []
    current = "definition"
    for line in text.split("\n"):
        if line.startswith("Include: "):
            current = "include"
            sections[current].append(line[len("Include: ") :])
        elif line.startswith("Exclude: "):
            current = "exclude"
            sections[current].append(line[len("Exclude: ") :])
        elif line.strip() == "Examples:":
            current = "examples"
        elif current == "examples":
            if line.startswith("- "):
                examples.append(line[2:].strip())
            elif line.strip() and examples:
                examples[-1] = f"{examples[-1]} {line.strip()}"
        else:
            sections[current].append(line)
    out = {k: "\n".join(v).strip() for k, v in sections.items()}
    out["examples"] = [e for e in examples if e]
    return out


def parse_description(text: str | None) -> tuple[dict, bool | None]:
    """Fields from a code Description and whether qualcode wrote it: (fields, edited).

    `edited` is None for a description without a qualcode line (another program's), False when the
    readable part is exactly what qualcode wrote, True when someone changed it since (then the
    readable part wins and only id, level, keywords and patterns come from the qualcode line).
    """
    text = (text or "").replace("\r\n", "\n")
    lines = text.rstrip().split("\n")
    meta = None
    if lines and lines[-1].startswith(DESCRIPTION_MARK):
        try:
            meta = json.loads(lines[-1][len(DESCRIPTION_MARK) :])
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            meta = None
    if meta is not None:  # another program or a person may have written anything in the line
        for key in ("definition", "include", "exclude"):
            if key in meta and not isinstance(meta[key], str):
                del meta[key]
        for key in ("examples", "keywords", "patterns"):
            if key in meta:
                value = meta[key]
                meta[key] = (
                    [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
                )
    if meta is None:
        return {"definition": text.strip()}, None
    human = "\n".join(lines[:-1]).rstrip()
    if human == render_human(meta).rstrip():
        return meta, False
    fields = parse_human(human)
    for key in ("id", "level", "keywords", "patterns"):
        if key in meta:
            fields[key] = meta[key]
    return fields, True


# --- safe zip -----------------------------------------------------------------------------------
# Read size per call: ZipExtFile.read() with no size inflates the whole compressed stream in one
# call (1.5 GB from a 1.6 MB member that declares 100 bytes) before trimming it to the declared size.
CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    """Limits on an untrusted `.qdpx` (zip bombs): members, bytes, inflation ratio."""

    max_members: int = 10_000
    max_total_bytes: int = 500 * 1024 * 1024
    max_ratio: float = 200.0  # uncompressed / compressed, checked for members over ratio_floor
    ratio_floor: int = 1024 * 1024


def _unsafe_name(name: str) -> bool:
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        return True
    return any(part == ".." for part in posix.split("/"))


def read_zip_members(path: str | Path, limits: ZipLimits | None = None) -> dict[str, bytes]:
    """Every file member of a zip, read into memory after the safety checks (see module doc)."""
    limits = limits or ZipLimits()
    path = Path(path)
    if not path.exists():
        raise InputFormatError("file not found", file=path)
    if path.is_dir():
        raise InputFormatError("expected a .qdpx file, got a folder", file=path)
    if not zipfile.is_zipfile(path):
        raise InputFormatError(
            "not a REFI-QDA project: the file is not a zip archive", file=path, hint=NOT_REFI_HINT
        )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFormatError(f"cannot open the zip: {exc}", file=path) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise InputFormatError(
                f"the zip has {len(infos)} members (limit {limits.max_members}); refusing it",
                file=path,
            )
        declared = 0
        names: dict[str, str] = {}
        for info in infos:
            if not info.is_dir():
                key = info.filename.replace("\\", "/").lower()
                if key in names:
                    raise InputFormatError(
                        f"the zip holds two members named {names[key]!r} and {info.filename!r}; "
                        "refusing it (which one is meant cannot be told)",
                        file=path,
                    )
                names[key] = info.filename
            if _unsafe_name(info.filename):
                raise InputFormatError(
                    f"unsafe path in the zip: {info.filename!r} (absolute or with '..'); refusing it",
                    file=path,
                    hint="a .qdpx must only hold project.qde and sources/ inside the archive",
                )
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise InputFormatError(
                    f"the zip holds a symbolic link ({info.filename!r}); refusing it", file=path
                )
            declared += info.file_size
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise InputFormatError(
                    f"zip member {info.filename!r} inflates {info.file_size // max(info.compress_size, 1)}"
                    f" times (limit {limits.max_ratio:g}): looks like a zip bomb; refusing it",
                    file=path,
                )
        if declared > limits.max_total_bytes:
            raise InputFormatError(
                f"the zip would unpack to {declared // (1024 * 1024)} MB "
                f"(limit {limits.max_total_bytes // (1024 * 1024)} MB); refusing it",
                file=path,
            )
        out: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            try:
                # ZipExtFile stops at the directory's file_size (summed and limited above) and
                # checks the CRC, so a member that lies about its size fails here; reading in
                # chunks keeps the inflated data per call at CHUNK bytes.
                chunks: list[bytes] = []
                left = info.file_size
                with zf.open(info) as fh:
                    while True:
                        piece = fh.read(min(CHUNK, max(left, 1)))
                        if not piece:
                            break
                        chunks.append(piece)
                        left -= len(piece)
                        if left < 0:
                            raise InputFormatError(
                                f"zip member {info.filename!r} is larger than the "
                                f"{info.file_size} bytes its header declares; refusing it",
                                file=path,
                            )
                data = b"".join(chunks)
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                NotImplementedError,
                RuntimeError,
            ) as exc:
                raise InputFormatError(
                    f"cannot read zip member {info.filename!r}: {exc}", file=path
                ) from exc
            out[info.filename.replace("\\", "/")] = data
        return out


# --- safe XML -----------------------------------------------------------------------------------
def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def parse_xml(data: bytes, file: str | Path) -> tuple[Element, str]:
    """Parse untrusted XML (no DTDs, entities or external references) and strip namespaces from
    element tags. Returns the root and the namespace its tag had ("" for none)."""
    import defusedxml
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise InputFormatError(
            "refusing XML with a DTD or entity declarations (possible external-entity attack): "
            f"{type(exc).__name__}",
            file=file,
            hint="REFI-QDA files never need a <!DOCTYPE>; export the file again from its program",
        ) from exc
    except LookupError as exc:  # <?xml ... encoding="ut--8"?>: expat asks codecs, which fails
        raise InputFormatError(
            f"the XML declares an encoding Python does not know: {exc}",
            file=file,
            hint=NOT_REFI_HINT,
        ) from exc
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputFormatError(
            f"not well-formed XML: {exc}", file=file, line=line, hint=NOT_REFI_HINT
        ) from exc
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = local_name(el.tag)
    return root, namespace


def check_namespace(namespace: str, expected: str, what: str) -> str | None:
    """A warning for a namespace other than the 1.0 one (read anyway), else None."""
    if namespace == expected:
        return None
    if not namespace:
        return f"the {what} has no XML namespace (expected {expected}); reading it anyway"
    if namespace.startswith(NS_PREFIX):
        return (
            f"the {what} uses the namespace {namespace} (a pre-release of REFI-QDA; "
            f"expected {expected}); reading it anyway"
        )
    return f"the {what} uses an unexpected namespace {namespace}; reading it anyway"


def attr(el: Element, name: str, default: str | None = None) -> str | None:
    """An attribute by name, tolerant of case (`GUID`, `isCodable`/`iscodable`) and namespaces."""
    if name in el.attrib:
        return el.attrib[name]
    wanted = name.lower()
    for key, value in el.attrib.items():
        if local_name(key).lower() == wanted:
            return value
    return default


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str) and c.tag.lower() == name.lower()]


def child(el: Element, name: str) -> Element | None:
    found = children(el, name)
    return found[0] if found else None


def child_text(el: Element, name: str) -> str:
    found = child(el, name)
    return (found.text or "") if found is not None else ""


def is_true(value: str | None, default: bool = True) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")

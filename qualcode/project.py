"""A study folder: `qualcode init` lays it out, and its `qualcode.yaml` gives every command defaults.

qualcode.yaml holds paths (relative to the file) that commands would otherwise be told each time:
`codebook`, `roster`, `segments`, `memos` (the folder of analytic memos, `memos/` beside
qualcode.yaml unless it names another); and the study's saturation parameters (`saturation:` with base, run,
threshold, denominator, new), so `report saturation`, `report methods` and `report all` use the
same ones. Options given on the command line always win.

Error messages never repr a value from the file: a YAML alias bomb expands to billions of items, so
they name its type ("got a list") and show at most a short, cut string.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import QualcodeError

PROJECT_FILE = "qualcode.yaml"
SETTING_KEYS = ("codebook", "roster", "segments", "memos", "saturation")
SATURATION_KEYS = ("base", "run", "threshold", "denominator", "new")


@dataclass(frozen=True)
class ProjectSettings:
    """Defaults for the study whose qualcode.yaml sits at `path`; values are absolute paths."""

    path: Path
    defaults: dict[str, Path]
    # Saturation parameters as option values (base/run ints, the rest text), e.g. {"run": 1}.
    saturation: dict[str, object] | None = None

    @property
    def memos(self) -> Path:
        """The analytic memos folder: the `memos:` setting, else memos/ beside qualcode.yaml."""
        return self.defaults.get("memos") or (self.path.parent / "memos").resolve()


def find_project_file(start: Path) -> Path | None:
    """The nearest qualcode.yaml in `start` or a folder above it (like git finds .git)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_settings(path: Path) -> ProjectSettings:
    """Read qualcode.yaml (yaml.safe_load); unknown keys and non-string values are errors."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise QualcodeError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=path,
            line=mark.line + 1 if mark else None,
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QualcodeError(f"cannot read the study settings: {exc}", file=path) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise QualcodeError(
            "study settings must be a mapping like `codebook: codebook.yaml`", file=path, line=1
        )
    defaults: dict[str, Path] = {}
    saturation: dict[str, object] = {}
    for key, value in data.items():
        if key == "saturation":
            saturation = _saturation_settings(value, path)
            continue
        if key not in SETTING_KEYS:
            raise QualcodeError(
                f"unknown setting {_describe(key)}",
                file=path,
                hint=f"qualcode.yaml may set: {', '.join(SETTING_KEYS)}",
            )
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise QualcodeError(
                f"setting {key!r} must be a path, got {_describe(value)}",
                file=path,
                hint=f"write it as `{key}: {_EXAMPLE_PATHS.get(key, key + '.csv')}`",
            )
        defaults[key] = (path.parent / value).resolve()
    return ProjectSettings(path=path, defaults=defaults, saturation=saturation)


def _saturation_settings(value: object, path: Path) -> dict[str, object]:
    """`saturation: {base: 4, run: 1, threshold: 0%, new: two-participant}` -> option values."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise QualcodeError(
            f"setting 'saturation' must be a mapping, got {_describe(value)}",
            file=path,
            hint="e.g. saturation: {base: 4, run: 2, threshold: 5%}",
        )
    out: dict[str, object] = {}
    for key, item in value.items():
        if key not in SATURATION_KEYS:
            raise QualcodeError(
                f"unknown saturation setting {_describe(key)}",
                file=path,
                hint=f"saturation may set: {', '.join(SATURATION_KEYS)}",
            )
        if key in ("base", "run"):
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                raise QualcodeError(
                    f"saturation {key} must be a whole number of events, got {_describe(item)}",
                    file=path,
                )
            out[key] = item
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            out[key] = str(item)
        else:
            raise QualcodeError(
                f"saturation {key} must be a value like 5% or base, got {_describe(item)}",
                file=path,
            )
    return out


_EXAMPLE_PATHS = {"codebook": "codebook.yaml", "memos": "memos"}
_TYPE_NAMES = {
    list: "a list",
    dict: "a mapping",
    bool: "true/false",
    int: "a number",
    float: "a number",
    set: "a set",
    bytes: "binary data",
}
_SHOWN_CHARS = 40


def _describe(value: object) -> str:
    """A short, safe description of a user value: its type, or a string cut to a few words.

    Never `repr` the value itself: a YAML alias bomb makes a list of 9**16 items whose repr never
    finishes."""
    if isinstance(value, str):
        shown = value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "..."
        return repr(shown)
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


_SETTINGS_TEMPLATE = """\
# qualcode study settings. Commands run anywhere in this folder use these paths (relative to
# this file) unless you give the option on the command line.
codebook: codebook.yaml
roster: roster.csv
segments: segments.csv
"""

_CODEBOOK_TEMPLATE = """\
# The study codebook (Auerbach & Silverstein): research concerns steer the coding; repeating ideas
# (the codes coders apply) sit under themes, themes under theoretical constructs.
# Check it with: qualcode codebook check codebook.yaml
title: My study
research_concerns:
  - id: RC1
    text: What do participants say about ...?
constructs:
  - id: C1
    label: A theoretical construct, in the language of theory
    themes:
      - id: T1
        label: A theme, in your words
        definition: The implicit topic that organises the repeating ideas below.
        repeating_ideas:
          - id: RI1
            label: "A short quote that names the idea"
            definition: What the idea is.
            include: When to apply it.
            exclude: When not to.
            examples: ["a typical quote"]
            keywords: []      # optional, for qualcode code --auto (whole words or phrases)
            patterns: []      # optional regular expressions
          - id: RI2
            label: "Another idea"
            definition: What the idea is.
"""

_ROSTER_TEMPLATE = "transcript_id,speaker,participant_id,role,event_order\n"


def scaffold(folder: Path) -> tuple[list[Path], list[Path]]:
    """Lay out a study folder; returns (created, already there). Never overwrites anything."""
    from qualcode.io import atomic_write_text

    created: list[Path] = []
    kept: list[Path] = []
    if folder.exists() and not folder.is_dir():
        raise QualcodeError("not a folder", file=folder, hint="name a new or existing folder")
    for sub in ("transcripts", "codings"):
        target = folder / sub
        if target.exists():
            kept.append(target)
        else:
            target.mkdir(parents=True)
            created.append(target)
    files = {
        PROJECT_FILE: _SETTINGS_TEMPLATE,
        "codebook.yaml": _CODEBOOK_TEMPLATE,
        "roster.csv": _ROSTER_TEMPLATE,
    }
    for name, text in files.items():
        target = folder / name
        if target.exists():
            kept.append(target)
        else:
            atomic_write_text(target, text, backup=False)
            created.append(target)
    return created, kept


def study_relative(path: str | Path, root: str | Path | None = None) -> str:
    """How a report names a file: its path relative to the study folder, never an absolute path.

    Reports get shared; an absolute path (`/home/maria/interviews/codings/ana.csv`) tells readers a
    researcher's user name and folder layout. The study folder is `root`, else the folder of the
    nearest qualcode.yaml above the current folder, else the current folder. A file outside it is
    named by its file name alone. Slashes are `/` on every system, so reports compare across them.
    """
    given = Path(path)
    if root is None:
        found = find_project_file(Path.cwd())
        root = found.parent if found is not None else Path.cwd()
    try:
        return given.resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return given.name

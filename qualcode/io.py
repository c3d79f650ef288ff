"""Safe reading and writing of study files.

Writes are atomic (temp file in the same folder + fsync + os.replace), so a crash or Ctrl-C never
leaves a truncated file; anything replaced is first kept as a timestamped backup (a hard link or an
atomic copy; none for unchanged content; the last KEEP_BACKUPS per file). Temp files carry the
writing process's id, so a later run removes those a killed run left; each output is locked while a
run writes it; a consensus and its decisions log land together, with a manifest that tells a reader
when a kill split them (`written_together`, `pair_problem`). What the write path did on the side is
passed to `notice` (the CLI prints it). Readers check the file contracts of docs/architecture.md and
raise `ContractError` naming the file, row and fix.
CSV files are read as strings with no NA guessing: a speaker called "NA" stays "NA".
"""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import io
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.capacity import human_size
from qualcode.errors import ContractError, OutputError
from qualcode.model import CODING_COLUMNS, ROLES, SEGMENT_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- writing ------------------------------------------------------------------------------------
# What a run leaves beside an output while it writes, all named so that any later run can tell
# whose they are (docs: README "Files, backups and locks"):
#   .<name>.qc-<host>-<pid>.<random>.tmp   the new content (or a backup copy) before its rename
#   .<name>.lock                           the advisory lock of the run writing <name> (its pid)
#   .<name>.pair.json                      the manifest of a consensus and its decisions log
#   <name>.<YYYYmmdd-HHMMSS-micro>.bak     the replaced file (the last KEEP_BACKUPS are kept)
KEEP_BACKUPS = 5  # backups kept per file; QUALCODE_KEEP_BACKUPS=N changes it (0 keeps all)
DERIVED_KEEP = 1  # reports and figures keep only the version they last replaced
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.qc-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)\.[^.]+\.tmp$")
_CRASH_ENV = "QUALCODE_CRASH_AT"  # tests: kill -9 this process at a named point of the write path


def _crash_point(name: str) -> None:
    """A test hook: `QUALCODE_CRASH_AT=<name>` kills this process here, as a power cut would."""
    if os.environ.get(_CRASH_ENV) == name:  # pragma: no cover - the process dies
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


# --- notices: what the write path did that a user should hear about (the CLI prints them) -------
_NOTICES: list[tuple[str, str]] = []
_NOTICE_SINK: list[Callable[[str, str], None]] = []


def notice(message: str, level: str = "note") -> None:
    """Pass `message` to the sink the CLI set (`note: ...` or `warning: ...` on stderr), else keep
    it for `take_notices()`: the core never prints."""
    if _NOTICE_SINK:
        _NOTICE_SINK[-1](level, message)
    else:
        _NOTICES.append((level, message))


def take_notices() -> list[tuple[str, str]]:
    """The (level, message) notices kept since the last call (library use, without a sink)."""
    out = list(_NOTICES)
    _NOTICES.clear()
    return out


@contextlib.contextmanager
def notices_to(sink: Callable[[str, str], None]) -> Iterator[None]:
    """Send notices to `sink` inside the block; on leaving it, release every output lock still
    held and forget which folders were swept (one CLI command = one run)."""
    _NOTICE_SINK.append(sink)
    try:
        yield
    finally:
        _NOTICE_SINK.pop()
        release_locks()
        _SWEPT.clear()


# --- run ownership: temp files and locks name the process that made them ------------------------
def _host_tag() -> str:
    import hashlib
    import socket

    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


_HOST = _host_tag()


def _owner_tag() -> str:
    return f"qc-{_HOST}-{os.getpid()}"  # the pid at call time (a forked worker has its own)


def pid_running(pid: int) -> bool:
    """Whether process `pid` exists on this machine (in doubt: yes, so nothing live is removed)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but is another user's (EPERM), or we cannot tell
    return True


def _temp_prefix(path: Path) -> str:
    name = path.name
    if len(name.encode("utf-8", "surrogateescape")) > 200:  # keep the temp name under NAME_MAX
        name = name.encode("utf-8", "surrogateescape")[:150].decode("utf-8", "ignore")
    return f".{name}.{_owner_tag()}."


_SWEPT: set[str] = set()


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Remove the temp files an interrupted qualcode run (kill -9, power loss) left in `folder`:
    those named by a process of this machine that no longer runs. They are partial copies of
    study data nobody sees. Says so (a notice) and returns what it removed."""
    folder = Path(folder)
    removed: list[tuple[Path, int, int]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if not m or m["host"] != _HOST or pid_running(int(m["pid"])):
            continue
        try:
            size = entry.stat(follow_symlinks=False).st_size
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append((Path(entry.path), int(m["pid"]), size))
    if removed:
        pids = sorted({pid for _, pid, _ in removed})
        listing = ", ".join(f"{p.name} ({human_size(size)})" for p, _, size in removed)
        notice(
            f"removed {len(removed)} temp file{'s' if len(removed) != 1 else ''} left in "
            f"{folder} by an interrupted qualcode run (pid {', '.join(map(str, pids))}): {listing}"
        )
    return [p for p, _, _ in removed]


def _sweep_once(folder: Path) -> None:
    key = os.path.abspath(folder)
    if key not in _SWEPT:
        _SWEPT.add(key)
        remove_stale_temp_files(folder)


# --- advisory locks: one writer per output --------------------------------------------------------
_LOCKS: dict[str, list] = {}  # lock file -> [fd, count]


def lock_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def lock_output(path: str | Path) -> bool:
    """Take the advisory lock of output `path` (`.<name>.lock` beside it, holding our pid), for
    this process: a second qualcode writing the same file fails with `another qualcode is writing
    <name> (pid N)` instead of one run silently replacing the other's result. Re-entrant. The
    kernel releases it when the process ends, however it ends, so a lock file left by a crash is
    recognised as stale and taken over. Returns False where no lock can be taken (no folder yet,
    a read-only folder, a device, no flock on this system): the write then goes on unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        return False
    path = Path(path)
    try:
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            return False
    except OSError:  # a name too long, a folder we may not read: the write itself will say
        return False
    target = lock_path(path)
    key = os.path.abspath(target)
    if key in _LOCKS:
        _LOCKS[key][1] += 1
        return True
    for _attempt in range(20):  # only repeats when another run removed the file we opened
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            raise OutputError(
                f"another qualcode is writing {path.name}" + (f" (pid {holder})" if holder else ""),
                file=path,
                hint=f"wait until it has finished; if no qualcode is running, remove {target.name}",
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(target))
        except OSError:
            same = False
        if not same:  # the previous holder removed it after we opened it: lock the new one
            os.close(fd)
            continue
        old = _read_pid(fd)
        if old and old != os.getpid():
            notice(f"{target.name} was left by an interrupted qualcode run (pid {old}): taken over")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _LOCKS[key] = [fd, 1]
        return True
    return False  # pragma: no cover - twenty removals in a row


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def unlock_output(path: str | Path) -> None:
    """Release one `lock_output(path)`; the last release removes the lock file."""
    path = Path(path)
    with contextlib.suppress(OSError):
        if path.is_symlink():
            path = Path(os.path.realpath(path))
    _release(os.path.abspath(lock_path(path)))


def _release(key: str, *, all_counts: bool = False) -> None:
    held = _LOCKS.get(key)
    if held is None:
        return
    held[1] = 0 if all_counts else held[1] - 1
    if held[1] > 0:
        return
    del _LOCKS[key]
    # Removed while still locked: a run waiting on the old file sees it is gone and retries.
    with contextlib.suppress(OSError):
        os.unlink(key)
    with contextlib.suppress(OSError):
        os.close(held[0])


def release_locks() -> None:
    """Release every output lock this process holds (the CLI does at the end of a command)."""
    for key in list(_LOCKS):
        _release(key, all_counts=True)


# --- backups ----------------------------------------------------------------------------------
def backup_path(path: Path, when: datetime | None = None) -> Path:
    """`name.YYYYmmdd-HHMMSS-micro.bak` beside the file (a counter when that exists already)."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        n += 1
    return candidate


def backups_of(path: str | Path) -> list[Path]:
    """The backups of `path` beside it, oldest first (by the time in their names)."""
    path = Path(path)
    pattern = re.compile(
        re.escape(path.name) + r"\.(\d{8}-\d{6})(?:-(\d{6}))?(?:-(\d{1,5}))?\.bak$"
    )
    found = []
    try:
        names = os.listdir(path.parent if str(path.parent) else ".")
    except OSError:
        return []
    for name in names:
        m = pattern.match(name)
        if m:
            found.append(((m[1], m[2] or "", int(m[3] or 0)), path.with_name(name)))
    return [p for _, p in sorted(found)]


def keep_backups() -> int:
    """How many backups to keep per file: QUALCODE_KEEP_BACKUPS, else KEEP_BACKUPS (0 = all)."""
    value = os.environ.get("QUALCODE_KEEP_BACKUPS", "").strip()
    return int(value) if value.isdigit() else KEEP_BACKUPS


def backup_existing(path: str | Path, *, keep: int | None = None) -> Path | None:
    """Keep an existing file as a timestamped backup, atomically; returns the backup path (None if
    no file). The backup appears whole or not at all: a hard link to the file (instant, whatever
    its size), or where links are not possible a copy to a temp file renamed into place. Names
    cannot collide: the name is claimed exclusively (a counter when two runs share a microsecond).
    Older backups beyond `keep` (default `keep_backups()`) are removed."""
    path = Path(path)
    if not path.exists():
        return None
    if path.is_dir():
        raise OutputError("output path is a folder, not a file", file=path)
    target = _link_backup(path)
    if target is None:
        target = _copy_backup(path)
    _prune_backups(path, keep_backups() if keep is None else keep)
    return target


def _link_backup(path: Path) -> Path | None:
    for _ in range(1000):
        target = backup_path(path)
        try:
            os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue  # another run took this name between our check and the link
        except OSError:
            return None  # no hard links here (FAT, some network drives): copy instead
        return target
    return None  # pragma: no cover


def _copy_backup(path: Path) -> Path:
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, tmp)
        while True:
            target = backup_path(path)
            try:  # claim the name exclusively, then fill it in one rename
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                continue
            os.replace(tmp, target)
            return target
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _prune_backups(path: Path, keep: int) -> None:
    if keep <= 0:
        return
    for old in backups_of(path)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()


def same_content(a: str | Path, b: str | Path) -> bool:
    """Whether two files hold the same bytes (sizes first, then 1 MB blocks)."""
    try:
        if os.path.getsize(a) != os.path.getsize(b):
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                block = fa.read(1 << 20)
                if block != fb.read(1 << 20):
                    return False
                if not block:
                    return True
    except OSError:
        return False


def _back_up_before_replacing(tmp: Path, path: Path, keep: int | None, shown: Path) -> None:
    """Back up `path` before `tmp` replaces it, unless it holds the same bytes (no new version)."""
    if not path.exists() or same_content(tmp, path):
        return
    target = backup_existing(path, keep=keep)
    if target is not None:
        # named as the user gave the output, unless that was a link into another folder
        same_folder = os.path.realpath(shown.parent) == os.path.realpath(path.parent)
        notice(
            f"kept the replaced {shown} as {shown.with_name(target.name) if same_folder else target}"
        )


# Write failures that are about the output (disk full, read-only, no permission), not a bug.
_OUTPUT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EIO,
        errno.ENAMETOOLONG,
    }
)


def _output_error(exc: OSError, path: Path) -> OutputError:
    return OutputError(f"cannot write: {exc.strerror or exc}", file=path)


class _Pending:
    """One file of a `written_together` group, written and synced, waiting for its rename."""

    __slots__ = ("tmp", "path", "backup", "keep", "shown")

    def __init__(self, tmp: Path, path: Path, backup: bool, keep: int | None, shown: Path):
        self.tmp, self.path, self.backup, self.keep, self.shown = tmp, path, backup, keep, shown


class _Group:
    def __init__(self, manifest: bool) -> None:
        self.pending: list[_Pending] = []
        self.created: list[Path] = []  # folders made for the group, removed again on failure
        self.locked: list[Path] = []
        self.manifest = manifest


@contextlib.contextmanager
def atomic_open(
    path: str | Path,
    mode: str = "w",
    *,
    backup: bool = True,
    encoding: str | None = "utf-8",
    keep: int | None = None,
) -> Iterator[io.IOBase]:
    """Open a temp file beside `path`; on success fsync and rename it over `path`.

    On any exception (including KeyboardInterrupt) the temp file is removed and `path` is untouched.
    With `backup`, an existing `path` is kept as a timestamped `.bak` first (unless the new content
    is the same; `keep` backups per file, default `keep_backups()`), and a notice names it. The
    output is locked for the write (`lock_output`), and stale temp files of interrupted runs in
    its folder are removed (`remove_stale_temp_files`). A symlinked output is written through
    (the link stays); a device or pipe (`/dev/stdout`, `/dev/null`, a FIFO) is written straight
    to: it cannot be backed up or replaced (copying `/dev/zero` never ends, and renaming over
    `/dev/null` would replace the device). Inside `written_together()` the rename waits until
    every file of the group is written.
    """
    path = Path(path)
    shown = path
    try:
        mode_bits = path.stat().st_mode
    except OSError as exc:
        if exc.errno in _OUTPUT_ERRNOS:  # a name too long for the file system
            raise _output_error(exc, path) from exc
        mode_bits = None
    if mode_bits is not None and stat.S_ISDIR(mode_bits):
        raise OutputError("output path is a folder, not a file", file=path)
    if mode_bits is not None and not stat.S_ISREG(mode_bits):
        with _direct_open(path, mode, encoding) as handle:
            yield handle
        return
    if mode_bits is not None and path.is_symlink():
        path = Path(os.path.realpath(path))
    parent = path.parent if str(path.parent) else Path(".")
    group = _GROUPS[-1] if _GROUPS else None
    missing = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {parent}: {exc.strerror}", file=path) from exc
    if group is not None:
        group.created.extend(reversed(missing))
    _sweep_once(parent)
    locked = lock_output(path)
    if locked and group is not None:
        group.locked.append(path)
    binary = "b" in mode
    try:
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=parent)
        except OSError as exc:
            raise OutputError(f"cannot write here: {exc.strerror}", file=path) from exc
        tmp = Path(tmp_name)
        try:
            if binary:
                handle = os.fdopen(fd, mode)
            else:
                handle = os.fdopen(fd, mode, encoding=encoding, newline="")
            try:
                with handle:
                    yield handle
                    handle.flush()
                    os.fsync(handle.fileno())
                # mkstemp makes the file 0600; give it the mode a plain open() would (or the old one's).
                os.chmod(tmp, _target_mode(path))
                _crash_point("temp-written")
                if group is not None:  # inside written_together(): the rename waits for the group
                    group.pending.append(_Pending(tmp, path, backup, keep, shown))
                else:
                    if backup:
                        _back_up_before_replacing(tmp, path, keep, shown)
                    os.replace(tmp, path)
            except OSError as exc:
                if exc.errno in _OUTPUT_ERRNOS:
                    raise _output_error(exc, path) from exc
                raise
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    finally:
        if locked and group is None:
            unlock_output(path)


# Groups of writes that land together (written_together); the innermost is last.
_GROUPS: list[_Group] = []


@contextlib.contextmanager
def written_together(*, manifest: bool = False) -> Iterator[None]:
    """Files written (with `atomic_open` and the writers here) inside the block land together or
    not at all: each is written and synced to its temp file as usual, but the renames over the
    outputs wait until the block ends without error. On an error (an unwritable folder for the
    second file, a full disk, Ctrl-C) every temp file is removed, folders made for the group are
    removed again, and no output is touched, so a consensus never lands without its decisions log.

    Then, in this order: every backup is taken (before any rename, so a kill cannot leave a new
    file whose old version was not kept yet); with `manifest`, a small manifest beside each file
    names the group with the content hashes of both the new and the replaced files
    (`.<name>.pair.json`, see `pair_problem`); then the renames run in the order written. POSIX
    has no rename of two files at once: a kill -9 between two renames leaves one new and one old
    file, and the manifest is how a reader finds out. A device or pipe output is written straight
    away, as always. A group inside a group joins the outer one."""
    if _GROUPS:
        yield
        return
    group = _Group(manifest)
    _GROUPS.append(group)
    try:
        try:
            yield
        except BaseException:
            _discard(group)
            raise
        finally:
            _GROUPS.pop()
        _commit_group(group)
    finally:
        for path in group.locked:
            unlock_output(path)


def _commit_group(group: _Group) -> None:
    current: Path | None = None
    try:
        entries = []
        for item in group.pending:
            current = item.path
            old = file_sha256(item.path) if group.manifest and item.path.exists() else None
            entries.append((item, old))
            if item.backup:
                _back_up_before_replacing(item.tmp, item.path, item.keep, item.shown)
        _crash_point("after-backups")
        if group.manifest and len(entries) > 1:
            _write_manifests([(i.path, file_sha256(i.tmp), old) for i, old in entries])
        _crash_point("after-manifest")
        for n, item in enumerate(group.pending):
            current = item.path
            if n:
                _crash_point("between-renames")
            os.replace(item.tmp, item.path)
            item.tmp = None  # landed
    except BaseException as exc:
        _discard(group)
        if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS and current is not None:
            raise _output_error(exc, current) from exc
        raise


def _discard(group: _Group) -> None:
    for item in group.pending:
        if item.tmp is not None:
            with contextlib.suppress(OSError):
                item.tmp.unlink()
    for path in group.locked:  # lock files first, so the folders are empty again
        unlock_output(path)
    group.locked.clear()
    for folder in reversed(group.created):  # deepest first; only folders still empty
        with contextlib.suppress(OSError):
            folder.rmdir()


# --- the manifest of a pair (a consensus and its decisions log) --------------------------------
def file_sha256(path: str | Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.pair.json")


def _write_manifests(files: list[tuple[Path, str, str | None]]) -> None:
    import json

    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    for path, _new, _old in files:
        here = path.parent
        body = {
            "qualcode_pair": 1,
            "written": stamp,
            "files": [
                {"path": os.path.relpath(p, here), "sha256": new, "replaced_sha256": old}
                for p, new, old in files
            ],
        }
        target = manifest_path(path)
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=here)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, indent=1)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp_name, _target_mode(path))
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise


def pair_problem(path: str | Path) -> str | None:
    """Why `path` and the file(s) written with it (a consensus and its decisions log) are not from
    the same run, or None. Reads the manifest `written_together(manifest=True)` left beside it: a
    file that holds the new content of that run beside one that still holds the content it
    replaced means the run was cut off between its renames. A file edited since (neither hash) is
    not a mismatch: a log corrected by hand is the user's to replay."""
    import json

    path = Path(path)
    target = manifest_path(path)
    try:
        body = json.loads(target.read_text(encoding="utf-8"))
        entries = [
            (path.parent / f["path"], f["sha256"], f.get("replaced_sha256")) for f in body["files"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    newer, older = [], []
    for file, new, old in entries:
        try:
            digest = file_sha256(file)
        except OSError:
            digest = None
        is_new, is_old = digest == new, digest == old
        if is_new and not is_old:
            newer.append(file)
        elif is_old and not is_new:
            older.append(file)
    if not (newer and older):
        return None
    return (
        f"{', '.join(map(str, newer))} and {', '.join(map(str, older))} are not from the same "
        f"run: the run of {body.get('written', '?')} was cut off between its renames, so "
        f"{', '.join(p.name for p in older)} is still the previous one; run reconcile again"
    )


def warn_if_split(path: str | Path) -> None:
    """A warning notice when `path` belongs to a pair cut apart by a crash (`pair_problem`)."""
    problem = pair_problem(path)
    if problem:
        notice(problem, "warning")


@contextlib.contextmanager
def _direct_open(path: Path, mode: str, encoding: str | None) -> Iterator[io.IOBase]:
    """Write straight to a device or pipe (no temp file, no backup)."""
    try:
        if "b" in mode:
            handle = open(path, mode)  # noqa: SIM115 - closed below
        else:
            handle = open(path, mode, encoding=encoding, newline="")  # noqa: SIM115
    except OSError as exc:
        raise _output_error(exc, path) from exc
    try:
        with handle:
            yield handle
            handle.flush()
    except OSError as exc:
        if exc.errno in _OUTPUT_ERRNOS:
            raise _output_error(exc, path) from exc
        raise


def _target_mode(path: Path) -> int:
    """The permission bits the output should get: the replaced file's, else 0666 minus umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def refuse_overwriting_inputs(
    output: str | Path, inputs: Iterable[str | Path | None], *, what: str = "the output"
) -> None:
    """Raise OutputError if `output` is one of `inputs` (same file, also via a link or another
    spelling of the path): a command must never replace the user's source files."""
    out = Path(output)
    if not out.exists():
        return
    for item in inputs:
        if item is None:
            continue
        try:
            same = os.path.samefile(out, item)
        except OSError:
            continue
        if same:
            raise OutputError(
                f"{what} would overwrite the input file {item}",
                file=out,
                hint="write the output to another path; input files are never modified",
            )


def atomic_write_text(
    path: str | Path, text: str, *, backup: bool = True, keep: int | None = None
) -> Path:
    with atomic_open(path, "w", backup=backup, keep=keep) as fh:
        fh.write(text)
    return Path(path)


def atomic_create_text(path: str | Path, text: str) -> Path:
    """Write a NEW file atomically, never replacing one: the text goes to a temp file (fsync), which
    is then hard-linked to `path`; the link fails with FileExistsError when `path` exists, even if
    another process made it a moment ago (no check-then-write race). Where the file system has no
    hard links, an exclusive create (O_EXCL) is the fallback."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", file=path) from exc
    tmp = Path(tmp_name)
    data = text.encode("utf-8")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _target_mode(path))
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FUSE file systems)
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _target_mode(path))
            with os.fdopen(out, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except FileExistsError:
        raise
    except OSError as exc:
        raise _output_error(exc, path) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def atomic_write_bytes(
    path: str | Path, data: bytes, *, backup: bool = True, keep: int | None = None
) -> Path:
    with atomic_open(path, "wb", backup=backup, encoding=None, keep=keep) as fh:
        fh.write(data)
    return Path(path)


def neutralise_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula (= + - @ tab CR) with a quote.

    Applied to report/export tables only; the study's own data files stay byte-faithful.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# A carriage return in a cell (old Mac line ends, some docx/VTT/SRT exports, a memo pasted from
# another tool, an imported project): with lineterminator="\n", Python's csv writer (3.11) and
# pandas' to_csv quote a cell only for `,` `"` or `\n`, yet pandas', the csv module's and
# spreadsheets' readers take an unquoted \r as the end of a row, so the row came back split.
# A cell holding \r is written quoted; a file with no \r in any cell keeps its bytes. The quoting
# is the writer's own: each \r is written as "\n" + a mark found in no cell (so the writer quotes
# the cell as it quotes a line break), and the mark is turned back into \r in the text written.
_CSV_CHUNK_ROWS = 16_384  # about this many rows rendered at a time (a few MB of text)
_MARK_CHARS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + [
    chr(c)
    for c in range(0xE000, 0xF900)  # the private use area: not in ordinary text
]


def _cr_mark(text: str) -> str:
    """A character that `text` (every cell the mark could meet) does not hold."""
    for mark in _MARK_CHARS:
        if mark not in text:
            return mark
    raise OutputError(  # pragma: no cover - a chunk holding 6,400 private-use characters
        "cannot quote a cell holding a carriage return: the cells use every marker character"
    )


def _unquoted_cr(value: object, mark: str) -> object:
    return value.replace("\r", "\n" + mark) if isinstance(value, str) else value


def csv_line(values: Sequence[object]) -> str:
    """One CSV row with LF line end, as csv.writer(lineterminator="\n") writes it, except that a
    cell holding \r is quoted (see the comment above _CSV_CHUNK_ROWS)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not any(isinstance(v, str) and "\r" in v for v in values):
        writer.writerow(values)
        return buffer.getvalue()
    texts = ["" if v is None else v if isinstance(v, str) else str(v) for v in values]
    mark = _cr_mark("".join(texts))
    writer.writerow([_unquoted_cr(v, mark) for v in texts])
    return buffer.getvalue().replace("\n" + mark, "\r")


def _cr_quoted_csv(part: pd.DataFrame, header: bool) -> str:
    """`part.to_csv(...)` with each text cell (and column name) holding \r quoted."""
    names = [str(c) for c in part.columns]
    text_columns = [i for i in range(part.shape[1]) if part.dtypes.iloc[i].kind not in "biufcmM"]
    cells = [names] if header else []
    cells += [map(str, part.iloc[:, i].tolist()) for i in text_columns]
    mark = _cr_mark("\x00".join("\x00".join(c) for c in cells))  # every cell the mark could meet
    part = part.copy(deep=False)
    for i in text_columns:
        part.isetitem(i, part.iloc[:, i].map(lambda v: _unquoted_cr(v, mark)))
    if header:
        part.columns = [_unquoted_cr(n, mark) for n in names]
    text = part.to_csv(index=False, header=header, lineterminator="\n")
    return text.replace("\n" + mark, "\r")


def write_frame_csv(df: pd.DataFrame, fh=None, *, header: bool = True) -> str | None:
    """`df.to_csv(fh, index=False, header=header, lineterminator="\n")`, the same bytes, except
    that a cell (or column name) holding \r is quoted so that every reader reads the row back.
    Returns the text when `fh` is None, as to_csv does.

    Rendered a chunk at a time, each searched for \r (the writer never writes one itself: LF line
    ends); only a chunk holding one is rendered again. The chunks are whole multiples of to_csv's
    own (100,000 cells // columns, pandas/io/formats/csvs.py), which it formats one by one (a
    datetime column's format depends on its chunk), so the bytes are those of one to_csv call."""
    out = io.StringIO() if fh is None else fh
    pandas_rows = (100_000 // (df.shape[1] or 1)) or 1
    step = pandas_rows * max(1, _CSV_CHUNK_ROWS // pandas_rows)
    for start in range(0, max(len(df), 1), step):
        part = df.iloc[start : start + step]
        first = header and start == 0
        text = part.to_csv(index=False, header=first, lineterminator="\n")
        if "\r" in text:
            text = _cr_quoted_csv(part, first)
        out.write(text)
    return out.getvalue() if fh is None else None


def write_csv_rows(
    path: str | Path,
    columns: Sequence[str],
    rows: Iterable[Sequence[object] | dict[str, object]],
    *,
    backup: bool = True,
    neutralise: bool = False,
) -> Path:
    """Write rows (sequences or dicts) as UTF-8 CSV with LF line ends, atomically (a cell holding
    \r quoted, `csv_line`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    batch: list[list[object]] = []

    def flush(fh) -> None:
        writer.writerows(batch)
        text = buffer.getvalue()
        if "\r" in text:  # the writer never writes \r itself (LF line ends): a cell holds one
            text = "".join(map(csv_line, batch))
        fh.write(text)
        buffer.seek(0)
        buffer.truncate()
        batch.clear()

    with atomic_open(path, "w", backup=backup) as fh:
        batch.append(list(columns))
        for row in rows:
            values = [row.get(c, "") for c in columns] if isinstance(row, dict) else list(row)
            if neutralise:
                values = [neutralise_formula(v) for v in values]
            batch.append(["" if v is None else v for v in values])
            if len(batch) >= 4096:
                flush(fh)
        flush(fh)
    return Path(path)


def write_dataframe_csv(
    df: pd.DataFrame,
    path: str | Path,
    *,
    backup: bool = True,
    neutralise: bool = False,
    keep: int | None = None,
) -> Path:
    """Write a DataFrame as CSV atomically (no index; a cell holding \r quoted)."""
    frame = df
    if neutralise:
        frame = (
            df.map(neutralise_formula) if hasattr(df, "map") else df.applymap(neutralise_formula)
        )
    with atomic_open(path, "w", backup=backup, keep=keep) as fh:
        write_frame_csv(frame, fh)
    return Path(path)


# --- reading ------------------------------------------------------------------------------------
TABLE_ATTR = "qualcode.table"  # DataFrame.attrs key: where the rows of a table came from
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_DELIMITERS = (",", ";", "\t")  # Excel writes `;` in locales with a decimal comma, tab as "Text"
_HEADER_SPACES = re.compile(r"[\s\-]+")


def column_key(name: str) -> str:
    """A header name as matched: ` Segment ID ` = `segment_id` = `SEGMENT-ID`."""
    return _HEADER_SPACES.sub("_", str(name).strip().casefold())


def _canonical_columns(
    names: Sequence[str], columns: Sequence[str], synonyms: dict[str, str] | None
) -> list[str]:
    """Header names with contract columns spelled as the contract does (case, spaces, synonyms).

    A synonym is used only when the contract name itself is absent and one column alone claims it.
    """
    wanted = {column_key(c): c for c in columns}
    out = [wanted.get(column_key(n), n) for n in names]
    claims: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        target = (synonyms or {}).get(column_key(name))
        if target is not None and out[i] == name:
            claims.setdefault(target, []).append(i)
    for target, where in claims.items():
        if target not in out and len(where) == 1:
            out[where[0]] = target
    return out


def _sniff_delimiter(
    header: str, required: Sequence[str], columns: Sequence[str], synonyms: dict[str, str] | None
) -> str:
    """`,` unless the header line only names the required columns when split on `;` or tab."""
    if not required:
        return ","
    for delimiter in _DELIMITERS:
        try:
            names = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        found = set(_canonical_columns(names, columns, synonyms))
        if all(c in found for c in required):
            return delimiter
    return ","


def read_table(
    path: str | Path,
    *,
    what: str = "table",
    columns: Sequence[str] = (),
    required: Sequence[str] = (),
    synonyms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a qualcode table (CSV or .xlsx) as all-string columns (empty cells are "").

    One reader for every study table, as people make them in Excel: CSV in UTF-8 (BOM or not) or
    cp1252, delimited by `,`, `;` or tab (a `;` or tab only when the header line names the `required`
    columns with it); .xlsx/.xlsm via `read_xlsx_table`. Header names matching one of `columns` up to
    case, surrounding spaces and space/hyphen/underscore are renamed to the contract's spelling;
    `synonyms` (column_key -> column) rename a header only when the column itself is absent.
    Where each row came from is kept in `df.attrs[TABLE_ATTR]`, for `row_location`.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ContractError(f"{what} file not found", file=path)
    if path.is_dir():
        raise ContractError(f"expected a {what} CSV file, got a folder", file=path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx_table(
            path, what=what, columns=columns, required=required, synonyms=synonyms
        )
    source, encoding, delimiter = _csv_source(path, what, columns, required, synonyms)
    try:
        df = pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            sep=delimiter,
        )
    except pd.errors.ParserError as exc:
        message, line = _parse_problem(str(exc))
        raise ContractError(f"cannot read {what} CSV: {message}", file=path, line=line) from exc
    _refuse_index_column(df, path, what)
    df.columns = _canonical_columns([str(c).strip() for c in df.columns], columns, synonyms)
    df.attrs[TABLE_ATTR] = {"sheet": None, "header_row": 1, "letters": {}}
    return df


def _refuse_index_column(df: pd.DataFrame, path: Path, what: str) -> None:
    """Refuse a first data row with more cells than the header, as every later row is refused:
    pandas' parser never compares that row with the header, and takes its first cell(s) for an
    index column, shifting the row's cells left under the header without a word (pandas 2.1 and
    3.1; pandas-dev/pandas#12519). A table read without an index column has a RangeIndex."""
    import pandas as pd

    if isinstance(df.index, pd.RangeIndex):
        return
    width = len(df.columns)
    raise ContractError(
        f"cannot read {what} CSV: {_too_many_cells(width + df.index.nlevels, width)}",
        file=path,
        line=2,  # the first data row (rows counted as the parser's messages count them)
    )


def _too_many_cells(saw: int, expected: int) -> str:
    return (
        f"this row has {saw} cells but the header has {expected} (a cell holding the "
        "delimiter needs quotes around it)"
    )


def _csv_source(
    path: Path,
    what: str,
    columns: Sequence[str],
    required: Sequence[str],
    synonyms: dict[str, str] | None,
) -> tuple[Path | io.StringIO, str | None, str]:
    """(what the CSV parser reads, its encoding, the delimiter) of an existing CSV file, after
    the checks `read_table` makes before parsing: readable, not binary, not empty."""
    try:
        utf8, head, blank = _scan_utf8(path)
    except OSError as exc:
        raise ContractError(f"cannot read {what}: {exc.strerror}", file=path) from exc
    if b"\x00" in head[:8192]:
        hint = None
        if head.startswith(b"PK\x03\x04"):
            hint = "this looks like an Excel workbook: give it the .xlsx extension, or save as CSV"
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            hint = "this looks like an old Excel .xls file: save it as .xlsx or CSV"
        raise ContractError(f"not a CSV {what}: the file is binary", file=path, hint=hint)
    if utf8:
        # Valid UTF-8: the parser reads the file itself (neither its bytes nor its text are held
        # beside the table: at 10M segments each is 2.3 GB).
        source, encoding = path, "utf-8-sig"
        header = head.decode("utf-8-sig", errors="replace")
    else:
        try:
            text = path.read_bytes().decode("cp1252", errors="replace")
        except OSError as exc:
            raise ContractError(f"cannot read {what}: {exc.strerror}", file=path) from exc
        blank = not text.strip()
        source, encoding, header = io.StringIO(text), None, text
    if blank:
        raise ContractError(f"{what} file is empty", file=path, hint="expected a header row")
    header = header.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return source, encoding, _sniff_delimiter(header, required, columns, synonyms)


read_csv_table = read_table  # the older name (every table reader accepts .xlsx as well)

_SCAN_BYTES = 1 << 24  # 16 MB at a time


def _scan_utf8(path: Path) -> tuple[bool, bytes, bool]:
    """(valid UTF-8, the first bytes up to the end of the header line, only whitespace) of a
    file, read in pieces so that a large table is never held twice (bytes, then text)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head = b""
    blank = True
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_SCAN_BYTES)
            if len(head) < 65536 and (not head or b"\n" not in head):
                head += chunk[:65536]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return False, head, False
            if blank and text.strip():
                blank = False
            if not chunk:
                return True, head, blank


def _xlsx_cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold: 12.0 -> "12", dates ISO, booleans TRUE/FALSE."""
    from datetime import date, time

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _col_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _parse_problem(text: str) -> tuple[str, int | None]:
    """pandas' parser error in words, with the 1-based line: no "Error tokenizing data. C error"."""
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return _too_many_cells(saw, expected), line
    quote = re.search(r"EOF inside string starting at row (\d+)", text)
    if quote:
        return "a quote opened here is never closed", int(quote.group(1)) + 1
    return "it is not a well-formed table (" + text.split("C error: ")[-1] + ")", None


def read_xlsx_table(
    path: str | Path,
    *,
    what: str = "table",
    columns: Sequence[str] = (),
    required: Sequence[str] = (),
    synonyms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One sheet of a workbook as all-string columns (see `read_table`).

    The sheet: the first named like `what` (`Codings`, `coding`), else the first whose header row
    names the `required` columns, else the first with data. The header is its first non-empty row;
    empty rows after the last data row are dropped. Cells are text as a CSV export would hold them.
    """
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    stem = what.casefold().rstrip("s")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = []
            for ws in workbook.worksheets:
                if getattr(ws, "reset_dimensions", None):
                    ws.reset_dimensions()  # a wrong stored size would cut rows off
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
                sheets.append((ws.title, rows))
        finally:
            workbook.close()
    # What openpyxl raises on a damaged file (lxml's XML errors are SyntaxErrors too).
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
        SyntaxError,
        EOFError,
        OSError,
    ) as exc:
        raise ContractError(
            f"cannot read the {what} workbook: {exc}",
            file=path,
            hint="open it in Excel or LibreOffice and save it again as .xlsx, or save the sheet as CSV",
        ) from exc

    def grid(rows: list[list[object]]) -> tuple[int, list[list[str]]]:
        cells = [[_xlsx_cell_text(v) for v in row] for row in rows]
        filled = [i for i, row in enumerate(cells) if any(c.strip() for c in row)]
        if not filled:
            return 0, []
        return filled[0], cells[filled[0] : filled[-1] + 1]

    parsed = [(title, *grid(rows)) for title, rows in sheets]
    with_data = [p for p in parsed if p[2]]
    if not with_data:
        raise ContractError(
            f"{what} workbook has no sheet with data", file=path, hint="expected a header row"
        )

    def names_required(p) -> bool:
        names = _canonical_columns([c.strip() for c in p[2][0]], columns, synonyms)
        return bool(required) and all(c in names for c in required)

    chosen = (
        next((p for p in with_data if stem and stem in p[0].casefold() and names_required(p)), None)
        or next((p for p in with_data if names_required(p)), None)
        or next((p for p in with_data if stem and stem in p[0].casefold()), None)
        or with_data[0]
    )
    title, first, rows = chosen
    width = max(
        (max((j + 1 for j, c in enumerate(row) if c.strip()), default=0) for row in rows),
        default=0,
    )
    header = [c.strip() for c in rows[0][:width]] + [""] * max(0, width - len(rows[0]))
    names: list[str] = []
    for j, name in enumerate(header):
        name = name or f"Unnamed: {j}"
        base, n = name, 1
        while name in names:  # as pandas' read_csv names repeated headers
            name, n = f"{base}.{n}", n + 1
        names.append(name)
    body = [(row + [""] * width)[:width] for row in rows[1:]]
    df = pd.DataFrame(body, columns=names, dtype=object)
    df = df.astype(str) if len(df) else pd.DataFrame({n: pd.Series(dtype=str) for n in names})
    canonical = _canonical_columns(names, columns, synonyms)
    df.columns = canonical
    df.attrs[TABLE_ATTR] = {
        "sheet": title,
        "header_row": first + 1,
        "letters": {c: _col_letter(j) for j, c in enumerate(canonical)},
    }
    return df


def row_location(
    df: pd.DataFrame, path: str | Path | None, row: int | None = None, column: str | None = None
) -> dict[str, object]:
    """`file=` and `line=` for an error about 0-based data row `row` (None: the header row).

    CSV: the file and its line (header = 1). A workbook: `file.xlsx:Sheet!B7`, the cell in
    `column` (A when not given) of the sheet row a spreadsheet shows.
    """
    info = df.attrs.get(TABLE_ATTR) or {}
    line = info.get("header_row", 1) + (0 if row is None else row + 1)
    sheet = info.get("sheet")
    if not sheet:
        return {"file": path, "line": line}
    letter = info.get("letters", {}).get(column, "A")
    return {"file": f"{path}:{sheet}!{letter}{line}", "line": None}


def row_number(df: pd.DataFrame, row: int) -> int:
    """The 1-based line (CSV) or sheet row (xlsx) of 0-based data row `row`, as a user sees it."""
    info = df.attrs.get(TABLE_ATTR) or {}
    return info.get("header_row", 1) + row + 1


def require_columns(df: pd.DataFrame, required: Sequence[str], path: str | Path, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(repr(str(c)) for c in df.columns[:12])
        raise ContractError(
            f"{what} is missing column(s): {', '.join(missing)}",
            **row_location(df, path),
            hint=f"the header must include: {', '.join(required)} (found: {found or 'none'})",
        )


def read_segments(path: str | Path) -> pd.DataFrame:
    """Read and check a segments.csv (contract in docs/architecture.md).

    Returns all columns of the contract (missing optional ones added empty); `turn` as int.
    """
    df = read_table(path, what="segments", columns=SEGMENT_COLUMNS, required=SEGMENT_REQUIRED)
    return checked_segments(df, path)


SEGMENT_REQUIRED = ("segment_id", "transcript_id", "turn", "speaker", "text")


def iter_segments(
    path: str | Path,
    chunk_rows: int,
    *,
    read_share: Callable[[float], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """`read_segments` in pieces of `chunk_rows` rows, for callers that never need the whole
    table (code --auto on millions of segments): the same checks and messages, with the file's
    own row numbers, and a segment_id already seen in an earlier piece is refused as a duplicate
    too. A workbook is read whole (one piece). `read_share(f)` is called after each piece with
    the share of the file read so far (0..1), for a progress bar."""
    import pandas as pd

    path = Path(path)
    if not path.is_file() or path.suffix.lower() in XLSX_SUFFIXES:
        yield read_segments(path)
        return
    what = "segments"
    source, encoding, delimiter = _csv_source(path, what, SEGMENT_COLUMNS, SEGMENT_REQUIRED, None)
    if not _chunk_starts_checked():
        _check_row_lengths(source, path, encoding, delimiter, what)
    with contextlib.ExitStack() as stack:
        if isinstance(source, Path):
            fh = stack.enter_context(source.open("rb"))
            size = max(path.stat().st_size, 1)
        else:  # cp1252 text, decoded whole by _csv_source
            fh, size = source, max(len(source.getvalue()), 1)
        seen: set[str] = set()
        offset = 0
        empty = True
        reader = None
        while True:
            try:  # the parser reads the header (and may fail on it) when it is made
                if reader is None:
                    reader = stack.enter_context(
                        pd.read_csv(
                            fh,
                            dtype=str,
                            keep_default_na=False,
                            na_filter=False,
                            encoding=encoding,
                            sep=delimiter,
                            chunksize=max(int(chunk_rows), 1),
                        )
                    )
                df = next(reader)
            except StopIteration:
                break
            except pd.errors.ParserError as exc:
                message, line = _parse_problem(str(exc))
                raise ContractError(
                    f"cannot read {what} CSV: {message}", file=path, line=line
                ) from exc
            empty = False
            _refuse_index_column(df, path, what)  # the first data row, longer than the header
            piece = _checked_piece(df, path, offset, seen)
            offset += len(df)
            if read_share is not None:
                read_share(min(fh.tell() / size, 1.0))
            yield piece
        if empty:  # a header without rows: one empty piece with its columns, checked
            header = pd.read_csv(
                path if isinstance(source, Path) else io.StringIO(source.getvalue()),
                dtype=str,
                encoding=encoding,
                sep=delimiter,
                nrows=0,
            )
            yield _checked_piece(header, path, 0, seen)


@functools.lru_cache(maxsize=1)
def _chunk_starts_checked() -> bool:
    """Whether this pandas' chunked reader refuses a row with more cells than the header when
    the row starts a chunk, as it refuses every other such row. pandas 2.1.0 does not: it keeps
    the row's first cells and drops the rest without a word (pandas-dev/pandas#11569, fixed by
    pandas-dev/pandas#66944; pandas 3.1.1 refuses it). Asked of pandas itself on three rows."""
    import pandas as pd

    try:
        with pd.read_csv(io.StringIO("a,b\n1,2\n1,2,3\n"), dtype=str, chunksize=1) as reader:
            for _ in reader:
                pass
    except pd.errors.ParserError as exc:  # the refusal asked about, not another one
        return "Expected 2 fields in line 3, saw 3" in str(exc)
    return False


def _check_row_lengths(
    source: Path | io.StringIO, path: Path, encoding: str | None, delimiter: str, what: str
) -> None:
    """Refuse a row with more cells than the header, in one streaming pass before the pieces are
    parsed, for a pandas whose chunked reader keeps the first cells of such a row and drops the
    rest without a word when it is the first row of a chunk (`_chunk_starts_checked`)."""
    import sys

    previous = csv.field_size_limit(sys.maxsize)  # a long turn is not an error here
    if isinstance(source, Path):
        fh = source.open(encoding=encoding or "utf-8", newline="")
    else:
        source.seek(0)
        fh = source
    try:
        width = None
        number = 0  # rows counted as the parser's messages count them (a quoted line break is
        for row in csv.reader(fh, delimiter=delimiter):  # one row, a blank line none)
            if not row:
                continue
            number += 1
            if width is None:
                width = len(row)
            elif len(row) > width:
                raise ContractError(
                    f"cannot read {what} CSV: {_too_many_cells(len(row), width)}",
                    file=path,
                    line=number,
                )
    except csv.Error:
        pass  # the parser names what is wrong with the file (an unclosed quote, ...)
    finally:
        csv.field_size_limit(previous)  # the limit is process-wide: others' readers keep theirs
        if isinstance(source, Path):
            fh.close()
        else:
            source.seek(0)


def _checked_piece(df: pd.DataFrame, path: Path, offset: int, seen: set[str]) -> pd.DataFrame:
    """One piece of `iter_segments` (data rows `offset`... of the file), checked like the whole
    table; `seen` holds the segment ids of the pieces before it and gets this piece's."""
    import numpy as np

    df.columns = _canonical_columns([str(c).strip() for c in df.columns], SEGMENT_COLUMNS, None)
    df.attrs[TABLE_ATTR] = {"sheet": None, "header_row": 1 + offset, "letters": {}}
    require_columns(df, SEGMENT_REQUIRED, path, "segments")
    ids = df["segment_id"].tolist()
    if seen:
        # The first repeat in file order, whether of an earlier piece or of this one.
        dup = df["segment_id"].duplicated().to_numpy() | np.fromiter(
            (s in seen for s in ids), dtype=bool, count=len(ids)
        )
        if dup.any():
            i = int(dup.nonzero()[0][0])
            raise ContractError(
                f"duplicate segment_id {ids[i]!r}", **row_location(df, path, i, "segment_id")
            )
    checked = checked_segments(df, path)
    seen.update(ids)
    return checked


def checked_segments(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """A segments table read as text (all-string columns, "" for empty) checked against the
    contract, as `read_segments` does; for tables that come from elsewhere (a Parquet part)."""
    if TABLE_ATTR not in df.attrs:
        df.attrs[TABLE_ATTR] = {"sheet": None, "header_row": 1, "letters": {}}
    required = SEGMENT_REQUIRED
    require_columns(df, required, path, "segments")
    for col in SEGMENT_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    from qualcode.idcodes import is_unique

    # pandas' duplicated() is one hash table over every id (9.2x per 4x from 1M to 4M segments);
    # the first repeat is looked for only when there is one.
    dup = None if is_unique(df["segment_id"].to_numpy()) else df["segment_id"].duplicated()
    if dup is not None and dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"duplicate segment_id {df['segment_id'].iat[i]!r}",
            **row_location(df, path, i, "segment_id"),
        )
    turns = df["turn"].str.strip()
    bad = ~turns.str.fullmatch(r"\d+")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn must be a whole number, got {df['turn'].iat[i]!r}",
            **row_location(df, path, i, "turn"),
        )
    huge = turns.str.len() > 9  # would overflow int64 (and no transcript has a billion turns)
    if huge.any():
        i = int(huge.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn {df['turn'].iat[i]!r} is too large to be a turn number",
            **row_location(df, path, i, "turn"),
        )
    df["turn"] = turns.astype(int)
    roles = df["role"].str.strip()
    df.loc[roles == "", "role"] = "unknown"
    bad_role = ~df["role"].isin(ROLES)
    if bad_role.any():
        i = int(bad_role.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"role must be one of {', '.join(ROLES)}, got {df['role'].iat[i]!r}",
            **row_location(df, path, i, "role"),
        )
    extra = [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return df[list(SEGMENT_COLUMNS) + extra]


def write_segments(df: pd.DataFrame, path: str | Path, *, backup: bool = True) -> Path:
    cols = list(SEGMENT_COLUMNS) + [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return write_dataframe_csv(df[cols], path, backup=backup)


# Header names hand-made codings files use for ours (column_key -> column); only these, because
# each is unambiguous: `code` could mean nothing but the code applied, `rater` nothing but the coder.
CODING_SYNONYMS: dict[str, str] = {
    "code": "code_id",
    "segment": "segment_id",
    "coder_name": "coder",
    "rater": "coder",
}
CODING_FILE_REQUIRED: tuple[str, ...] = ("segment_id", "code_id")
CODER_NOTE_ATTR = "qualcode.coder_note"


def coder_from_file(path: str | Path) -> str:
    """The coder of a codings file that does not name one: its file stem (`codings/maria.csv`)."""
    return Path(path).stem


def read_codings(path: str | Path) -> pd.DataFrame:
    """Read and check a codings file (contract in docs/architecture.md), CSV or .xlsx.

    `code_id` "" means: reviewed, no code applied. Returns all contract columns.

    Files made by hand are read as meant, never guessed at: the delimiter may be `,`, `;` or tab
    (`read_table`); header names match up to case and spaces (`Segment_ID`, ` code_id `), and three
    synonyms are accepted when the column itself is absent: `code` = code_id, `segment` =
    segment_id, `coder_name` or `rater` = coder. Without a `coder` column, or with one left empty,
    the coder is the file stem (`codings/maria.csv` -> `maria`, `coder_from_file`), and
    `coder_note(df)` says so. Several codes in one cell are not split: the unknown-code error shows
    the row and asks for one row per (segment, code) (`qualcode.ids`).
    """
    df = read_table(
        path,
        what="codings",
        columns=CODING_COLUMNS,
        required=CODING_FILE_REQUIRED,
        synonyms=CODING_SYNONYMS,
    )
    from qualcode.filekinds import refuse_other_kind

    refuse_other_kind(df.columns, path)  # a decisions log, segments, a sheet, a roster
    if any(c not in df.columns for c in CODING_FILE_REQUIRED):
        from qualcode.filekinds import refuse_coding_sheet_workbook

        refuse_coding_sheet_workbook(path)  # an .xlsx sheet's columns are on row 2
    require_columns(df, CODING_FILE_REQUIRED, path, "codings")
    warn_if_split(path)  # a consensus whose decisions log is from another run
    note = None
    if "coder" not in df.columns:
        note = "has no coder column"
    elif len(df) and not any(isinstance(v, str) and v.strip() for v in df["coder"].unique()):
        note = "has an empty coder column"  # (each distinct name stripped once)
    for col in CODING_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    if note is not None:
        name = coder_from_file(path)
        df["coder"] = name
        df.attrs[CODER_NOTE_ATTR] = f"{path} {note}: coder {name!r} is the file name"
    # A segment id hardly repeats: it is stripped row by row, in file order (one hash table of
    # millions of distinct ids outgrows the CPU caches: pd.factorize of a 4M-segment coder's ids
    # took 14x the time of a 1M one's, the strip pass 4.8x).
    ids = df["segment_id"].tolist()
    stripped_ids = [v.strip() for v in ids]
    if not all(stripped_ids):
        i = stripped_ids.index("")
        raise ContractError("segment_id is empty", **row_location(df, path, i, "segment_id"))
    if stripped_ids != ids:  # (str.strip gives the same object back when there is nothing to strip)
        df["segment_id"] = stripped_ids
    del ids, stripped_ids
    # Codes, coders and offsets repeat a lot: each check and strip runs once per distinct value.
    for col in ("code_id", "coder"):
        codes, uniques, stripped = _distinct_stripped(df[col])
        if stripped != uniques:
            df[col] = _take(stripped, codes)
    spans_given = False
    for col in ("start_char", "end_char"):
        codes, uniques, stripped = _distinct_stripped(df[col])
        spans_given = spans_given or any(stripped)
        # str.isdecimal() is exactly re's \d+ on a non-empty str (Unicode category Nd)
        bad = [k for k, v in enumerate(stripped) if v != "" and not v.isdecimal()]
        if bad:
            i = _first_row_of(codes, bad)
            raise ContractError(
                f"{col} must be empty or a whole number, got {df[col].iat[i]!r}",
                **row_location(df, path, i, col),
            )
    if spans_given:  # whole-turn codings only (the common case): no pair to check
        _check_span_pairs(df, path)
    extra = [c for c in df.columns if c not in CODING_COLUMNS]
    return df[list(CODING_COLUMNS) + extra]


def _check_span_pairs(df: pd.DataFrame, path: str | Path) -> None:
    """An excerpt has both start_char and end_char, start before end (0-based, end exclusive)."""
    start, end = df["start_char"].str.strip(), df["end_char"].str.strip()
    given = (start != "") | (end != "")
    if not given.any():
        return  # whole-turn codings only: nothing to check (the common case)
    half = given & ((start == "") | (end == ""))
    if half.any():
        i = int(half.to_numpy().nonzero()[0][0])
        column = "end_char" if start.iat[i] else "start_char"
        raise ContractError(  # worded as compare --unit span and export qdpx word it
            "start_char and end_char must both be given or both be empty",
            **row_location(df, path, i, column),
        )
    rows = given.to_numpy().nonzero()[0]
    bad = (_offsets(start.iloc[rows]) >= _offsets(end.iloc[rows])).nonzero()[0]
    if len(bad):
        i = int(rows[bad[0]])
        raise ContractError(
            f"span {start.iat[i]}..{end.iat[i]} does not fit in segment "
            f"{df['segment_id'].iat[i]!r} (end is exclusive, start before end)",
            **row_location(df, path, i, "start_char"),
        )


def _offsets(values: pd.Series) -> np.ndarray:
    """Whole-number strings as integers, converting each distinct value once."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return np.asarray([int(u) for u in uniques], dtype=np.int64)[codes]


def check_spans(
    codings: pd.DataFrame, segments: pd.DataFrame, *, codings_file: str | Path | None = None
) -> None:
    """Raise ContractError when an excerpt (start_char, end_char) runs past the end of its turn
    (the codings were made on other text, or by hand). Rows of segments not given are left."""
    start, end = codings["start_char"].astype(str).str.strip(), codings["end_char"].astype(str)
    given = (start != "").to_numpy().nonzero()[0]
    if not len(given):
        return
    frame = segments.reindex(columns=["segment_id", "text"]).fillna("").astype(str)
    length = frame.drop_duplicates("segment_id").set_index("segment_id")["text"].str.len()
    sids = codings["segment_id"].astype(str)
    turn = sids.iloc[given].map(length).to_numpy(dtype=float, na_value=float("inf"))
    past = (_offsets(end.iloc[given].str.strip()) > turn).nonzero()[0]
    if len(past):
        i = int(given[past[0]])
        # worded as compare --unit span words it (qualcode.agreement.unitized)
        raise ContractError(
            f"span {start.iat[i]}..{end.iat[i].strip()} does not fit in segment {sids.iat[i]!r} "
            f"({int(turn[past[0]])} characters; end is exclusive, start before end)",
            **row_location(codings, codings_file, i, "end_char"),
        )


def coder_note(df: pd.DataFrame) -> str | None:
    """Why the coder of codings read by `read_codings` is its file name (None: the file names it)."""
    return df.attrs.get(CODER_NOTE_ATTR)


def _distinct_stripped(values: pd.Series) -> tuple[np.ndarray, list[str], list[str]]:
    """(codes, distinct values, the same stripped): values == distinct[codes], in first-seen order."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = uniques.tolist()  # str already: read_csv_table reads every cell as text
    return codes, distinct, [u.strip() for u in distinct]


def _first_row_of(codes: np.ndarray, wanted: list[int]) -> int:
    """0-based index of the first row whose code is one of `wanted`."""
    import numpy as np

    return int(np.isin(codes, wanted).nonzero()[0][0])


def _take(distinct: list[str], codes: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(distinct, dtype=object)[codes]


# --- what an existing output holds (a coder's work is never replaced by another kind of file) ----
PROTECTED_KINDS = ("manual codings", "consensus", "decisions log", "codebook", "roster")


def file_kind(path: str | Path) -> tuple[str, str | None] | None:
    """What a study file holds, read from its header (and origin column): `("manual codings",
    coder)`, `("consensus", None)`, `("decisions log", None)`, `("codebook", None)`, `("roster",
    None)`, `("segments", None)`, `("suggestions", None)`, `("codings", origin)` for auto/imported
    codings; None for anything
    else (a report, a sheet, an unreadable file). A codings file without an origin column was made
    by hand: manual."""
    path = Path(path)
    try:
        if not path.is_file():
            return None
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _yaml_kind(path)
        if suffix in XLSX_SUFFIXES:
            return _rows_kind(path, _xlsx_rows(path))
        if suffix in (".csv", ".tsv", ".txt"):
            return _rows_kind(path, _csv_rows(path))
    except (OSError, ValueError, csv.Error, ContractError):
        return None
    return None


def _yaml_kind(path: Path) -> tuple[str, str | None] | None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return None
    if isinstance(data, dict) and any(k in data for k in ("codes", "themes", "constructs")):
        return ("codebook", None)
    return None


def _csv_dialect(path: Path) -> tuple[str, str] | None:
    """(encoding, delimiter) `file_kind` reads a CSV file with; None for a binary file."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head:
        return None
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut at the end of the sample
            encoding = "cp1252"
    first = head.decode(encoding, errors="replace").split("\n", 1)[0]
    return encoding, max(_DELIMITERS, key=first.count)


def _csv_rows(path: Path) -> Iterator[list[str]]:
    dialect = _csv_dialect(path)
    if dialect is None:
        return
    encoding, delimiter = dialect
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        yield from csv.reader(fh, delimiter=delimiter)


_QUICK_KIND_BYTES = 1 << 20  # from 1 MB on, `_derived_codings` is worth importing pandas for


def _derived_codings(path: Path) -> bool:
    """True when `path` is a CSV codings file none of whose rows has the origin manual, consensus
    or none: then `file_kind` finds codings of another origin (auto, import), which no command
    protects. It reads every row with the csv module (0.16 s CPU for 200k rows); this reads the
    origin column alone with pandas' parser (0.05 s), the same text the same way: the header
    row is the csv module's, and pandas' rows are the csv module's rows or more of them (a line
    break in an unquoted cell ends its row in both; pandas keeps the short rows the file_kind
    loop skips), so an origin that file_kind would protect is seen here too. False when unsure
    (a file of another kind, a protected origin, a parser error): file_kind then decides."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt") or not path.is_file():
        return False
    if path.stat().st_size < _QUICK_KIND_BYTES:
        return False
    try:
        dialect = _csv_dialect(path)
        if dialect is None:
            return False
        encoding, delimiter = dialect
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except (OSError, ValueError, csv.Error):
        return False
    if not header or _rows_kind(path, iter([header])) != ("codings", None):
        return False  # not codings with an origin column (the header alone says which)
    origin = [CODING_SYNONYMS.get(column_key(c), column_key(c)) for c in header].index("origin")
    import pandas as pd

    try:
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            reader = pd.read_csv(
                fh,
                sep=delimiter,
                header=0,
                index_col=False,
                usecols=[origin],
                dtype=str,
                keep_default_na=False,
                chunksize=1_000_000,
            )
            with reader:
                for chunk in reader:
                    origins = {str(v).strip() for v in set(chunk.iloc[:, 0].tolist())}
                    if origins & {"", "manual", "consensus"}:
                        return False
    except (OSError, ValueError, csv.Error, pd.errors.ParserError):
        return False
    return True


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    df = read_table(path, what="codings")
    yield [str(c) for c in df.columns]
    yield from df.astype(str).values.tolist()


def _rows_kind(path: Path, rows: Iterator[list[str]]) -> tuple[str, str | None] | None:
    header = next(rows, None)
    if not header:
        return None
    keys = [column_key(c) for c in header]
    cols = {CODING_SYNONYMS.get(k, k) for k in keys}
    if {"segment_id", "code_id", "decision"} <= cols:
        return ("decisions log", None)
    if {"segment_id", "text"} <= cols:
        return ("segments", None)
    if {"segment_id", "code_id", "rank", "score"} <= cols and not cols & {"coder", "origin"}:
        return ("suggestions", None)  # `suggest codes` output: derived, not a coder's work
    if {"segment_id", "code_id"} <= cols:
        names = [CODING_SYNONYMS.get(k, k) for k in keys]
        origin = names.index("origin") if "origin" in names else None
        coder = names.index("coder") if "coder" in names else None
        manual: set[str] = set()
        origins: set[str] = set()
        width = len(header)
        for row in rows:
            if len(row) < width:
                continue  # a torn last row (a killed editor) or a blank line says nothing
            value = row[origin].strip() if origin is not None else ""
            # A row with an origin is not blank; only the others need the (slower) full check.
            if not value and not any(c.strip() for c in row):
                continue
            if value == "consensus":
                return ("consensus", None)
            if value in ("manual", ""):
                manual.add((row[coder].strip() if coder is not None else "") or path.stem)
            origins.add(value)
        if manual or (origin is None and not origins):
            return ("manual codings", "|".join(sorted(manual)) or path.stem)
        return ("codings", ", ".join(sorted(origins)) or None)
    if "participant_id" in cols and "segment_id" not in cols:
        return ("roster", None)
    return None


def describe_kind(kind: tuple[str, str | None]) -> str:
    name, detail = kind
    if name == "manual codings":
        who = " and ".join(detail.split("|")) if detail else ""
        return f"{who}'s manual codings (origin manual)" if who else "manual codings"
    if name == "codings" and detail:
        return f"codings (origin {detail})"
    return {"segments": "segments (speaker turns)"}.get(name, f"a {name}")


def check_replace(
    path: str | Path, writing: tuple[str, str | None], *, force: bool = False
) -> None:
    """Refuse to replace a file that holds a coder's work (manual codings), a consensus, a
    decisions log, a codebook or a roster with a different kind of output, unless `force`. The
    same kind (alice's codings read back again from her sheet, a consensus reconciled again) is
    replaced, with a backup. `writing` is the new file's kind as `file_kind` names it."""
    if force or _derived_codings(Path(path)):
        return
    existing = file_kind(path)
    if existing is None or existing[0] not in PROTECTED_KINDS:
        return
    if existing[0] == writing[0] and (
        existing[0] != "manual codings"
        or not writing[1]
        or writing[1] in (existing[1] or "").split("|")
    ):
        return
    raise OutputError(
        f"holds {describe_kind(existing)}; writing {describe_kind(writing)} over it would "
        "replace that work",
        file=path,
        hint="write it to another path (a report or export never replaces a study file)"
        if writing[0] == "report"
        else "write to another path, or add --force to replace it (the old file is kept as a .bak)",
    )


def _codings_frame(df: pd.DataFrame) -> pd.DataFrame:
    cols = list(CODING_COLUMNS) + [c for c in df.columns if c not in CODING_COLUMNS]
    # shallow: columns are only added (never changed in place), so the caller's frame keeps its
    # own; a deep copy increfs every cell of every string column (4M segments: 1.0 s, 23x 1M's)
    out = df.copy(deep=False)
    for col in CODING_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    return out[cols]


def write_codings(df: pd.DataFrame, path: str | Path, *, backup: bool = True) -> Path:
    return write_dataframe_csv(_codings_frame(df), path, backup=backup)


def write_codings_folder(
    parts: Iterable[pd.DataFrame], folder: str | Path, *, backup: bool = True
) -> Path:
    """Codings as part files `part-00000.csv`, ... in `folder`, landed together: written into a
    temp folder beside it and renamed into place only when every part is written. A folder it
    replaces is first kept as `<name>.<time>.bak` (removed with `backup=False`). An exception
    from `parts` (a failed partition) removes the temp folder and leaves `folder` as it was."""
    import shutil
    import tempfile

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            "the output for part files must be a folder, and this is a file", file=folder
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        n = 0
        for i, df in enumerate(parts):
            with open(tmp / f"part-{i:05d}.csv", "w", encoding="utf-8", newline="") as fh:
                write_frame_csv(_codings_frame(df), fh)
            n += 1
        if not n:
            (tmp / "part-00000.csv").write_text(",".join(CODING_COLUMNS) + "\n", encoding="utf-8")
        old = None
        if folder.exists():
            old = backup_path(folder)
            os.replace(folder, old)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        if backup:
            notice(f"kept the previous {folder.name} as {old.name}")
        else:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def _plain_csv_body(df: pd.DataFrame, cols: list[str]) -> str | None:
    """The rows of `df[cols]` as CSV lines, when no cell needs quotes (no `,` `"` or line
    break) or is missing: then `to_csv` writes exactly the cells joined by commas. None
    otherwise. Three times faster than to_csv on codings (0.11 against 0.27 s for 200k rows)."""
    if len(cols) < 2 or not all(c in df.columns for c in cols):
        return None
    lists = []
    for c in [None, *cols]:  # None: the header
        values = [str(name) for name in cols] if c is None else df[c].tolist()
        try:  # all text: joined as it is (join refuses anything else, in C, without a loop here)
            joined = "\x00".join(values)
        except TypeError:  # numbers (start_char, end_char) as str() writes them, as to_csv does
            if df[c].isna().any():  # a missing cell (None, NaN: never text) to_csv writes empty
                return None
            values = list(map(str, values))
            joined = "\x00".join(values)
        if "," in joined or '"' in joined or "\n" in joined or "\r" in joined:
            return None
        lists.append(values)
    if not len(df):
        return ""
    return "\n".join(map(",".join, zip(*lists[1:], strict=True))) + "\n"


def write_codings_parts(
    parts: Iterable[pd.DataFrame], path: str | Path, *, backup: bool = True
) -> Path:
    """Codings written part by part, atomically: the same bytes as `write_codings` of the parts'
    concatenation, without holding it (parts share their columns). An exception from `parts`
    (a failed partition) leaves `path` as it was."""
    with atomic_open(path, "w", backup=backup) as fh:
        header = True
        for df in parts:
            cols = list(CODING_COLUMNS) + [c for c in df.columns if c not in CODING_COLUMNS]
            body = _plain_csv_body(df, cols)
            if body is None:
                write_frame_csv(_codings_frame(df), fh, header=header)
            else:
                if header:
                    fh.write(",".join(cols) + "\n")
                fh.write(body)
            header = False
        if header:
            fh.write(",".join(CODING_COLUMNS) + "\n")
    return Path(path)

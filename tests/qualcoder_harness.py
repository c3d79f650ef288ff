"""Drive QualCoder's own REFI-QDA import (and export) with no display, for test_refi_qualcoder.py.

Usage: QT_QPA_PLATFORM=offscreen python qualcoder_harness.py QUALCODER_SRC IN.qdpx [OUT.qdpx]

QUALCODER_SRC is the `src` folder of a QualCoder checkout (the one holding `qualcoder/refi.py`);
nothing of QualCoder is copied into this repository. QualCoder's `RefiImport` reads IN.qdpx into a
fresh project database with QualCoder's table layout; with OUT.qdpx, its `RefiExport` then writes
that project back out. Only the GUI around them is replaced: the file pickers answer with the given
paths, message boxes and the line-endings dialog are not shown, and the helpers and media modules
(which need PyMuPDF, Pillow, VLC) are stubbed, since import and export use only `Message` from
them. Prints the resulting QualCoder tables as JSON on stdout.
"""

from __future__ import annotations

import builtins
import gettext
import json
import os
import sqlite3
import sys
import tempfile
import types
from pathlib import Path


def qualcoder_schema(src: Path) -> str:
    """The CREATE TABLE statements of QualCoder's own `new_project`, read from the checkout's source.

    Nothing of QualCoder is copied here: the tables are made exactly as the checkout under test makes
    them, and a later QualCoder with another table layout is followed without a change here.
    """
    import ast

    tree = ast.parse((src / "qualcoder" / "__main__.py").read_text(encoding="utf-8"))
    new_project = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "new_project"
    )
    statements = []
    for node in ast.walk(new_project):
        if isinstance(node, ast.Call) and node.args:
            try:
                text = ast.literal_eval(node.args[0])
            except ValueError:
                continue
            if isinstance(text, str) and text.lstrip().upper().startswith("CREATE TABLE"):
                statements.append(text.strip().rstrip(";") + ";")
    if not any(s.startswith("CREATE TABLE project ") for s in statements):
        raise SystemExit(f"no CREATE TABLE project in {src}/qualcoder/__main__.py: unknown layout")
    statements.append(
        "INSERT INTO project (databaseversion, date, memo, about, codername) "
        "VALUES ('headless', '2025-01-01 00:00:00', '', 'headless', 'qc-test');"
    )
    return "\n".join(statements)


QUERIES = {
    "code_cat": "select catid, name, memo, supercatid from code_cat",
    "code_name": "select cid, name, memo, catid, supercid, color from code_name",
    "source": "select id, name, length(fulltext) as n_chars, owner from source",
    "code_text": "select ctid, cid, fid, pos0, pos1, seltext, owner, memo, date from code_text",
    "annotation": "select fid, pos0, pos1, memo, owner from annotation",
    "cases": "select caseid, name, memo from cases",
    "attribute_type": "select name, caseOrFile, valuetype from attribute_type",
    "attribute": "select name, attr_type, value, id from attribute",
    "journal": "select name, jentry, owner from journal",
}


class _NoDialog:
    """Stands in for QualCoder's message boxes and dialogs: never shown."""

    def __init__(self, *args, **kwargs):
        checked = types.SimpleNamespace(isChecked=lambda: False)
        self.ui = types.SimpleNamespace(radioButton_maxqda=checked)

    def exec(self):
        return 0


class _Log:
    def __init__(self):
        self.lines: list[str] = []

    def append(self, text):
        self.lines.append(str(text))


def main(src: str, target: str, back: str | None) -> None:
    builtins._ = gettext.gettext  # QualCoder installs _ at start-up
    sys.path.insert(0, src)
    helpers = types.ModuleType("qualcoder.helpers")
    helpers.Message = _NoDialog
    media = types.ModuleType("qualcoder.media_player_qt")
    media.MediaInstance = object
    media.make_vlc_instance = lambda *a, **k: None
    sys.modules["qualcoder.helpers"] = helpers
    sys.modules["qualcoder.media_player_qt"] = media

    from PyQt6 import QtWidgets

    qapp = QtWidgets.QApplication([])  # noqa: F841 (dialog classes need one)
    from qualcoder import refi

    refi.Message = _NoDialog
    refi.RefiLineEndings = _NoDialog
    tmp = Path(tempfile.mkdtemp(prefix="qc_headless_"))
    project = tmp / "study.qda"
    for sub in ("", "documents", "images", "audio", "video"):
        (project / sub).mkdir(exist_ok=True)
    conn = sqlite3.connect(project / "data.qda")
    conn.executescript(qualcoder_schema(Path(src)))
    app = types.SimpleNamespace(
        conn=conn,
        project_path=str(project),
        project_name="study.qda",
        version="QualCoder (headless test)",
        project_events=None,
        ai_models=[],
        settings={
            "directory": str(tmp),
            "codername": "qc-test",
            "ai_enable": "False",
            "fontsize": 12,
            "font": "Noto Sans",
        },
        write_config_ini=lambda *a, **k: None,
        get_annotations=lambda: [],
    )
    QtWidgets.QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (target, "filter"))
    log = _Log()
    refi.RefiImport(app, log, "qdpx")
    out: dict = {"log": list(log.lines)}
    for name, sql in QUERIES.items():
        cur = conn.execute(sql)
        cols = [c[0] for c in cur.description]
        out[name] = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    if back:
        folder = tmp / "export"
        folder.mkdir()
        QtWidgets.QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: str(folder))
        os.environ["HOME"] = str(tmp)  # RefiExport prepares its zip in ~/.qualcoder
        (tmp / ".qualcoder").mkdir(exist_ok=True)
        refi.RefiExport(app, log, "project")
        Path(back).write_bytes((folder / "study.qdpx").read_bytes())
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)

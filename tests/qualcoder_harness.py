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

SCHEMA = """
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text,
  owner text, date text, av_text_id integer, risid integer, unique(name));
CREATE TABLE code_image (imid integer primary key, id integer, x1 integer, y1 integer,
  width integer, height integer, cid integer, memo text, date text, owner text,
  important integer, pdf_page integer);
CREATE TABLE code_av (avid integer primary key, id integer, pos0 integer, pos1 integer,
  cid integer, memo text, date text, owner text, important integer);
CREATE TABLE annotation (anid integer primary key, fid integer, pos0 integer, pos1 integer,
  memo text, owner text, date text, unique(fid, pos0, pos1, owner));
CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text,
  caseOrFile text, valuetype text);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text,
  id integer, date text, owner text, unique(name, attr_type, id));
CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer,
  pos1 integer, owner text, date text, memo text);
CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text, date text,
  constraint ucm unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text,
  supercatid integer, unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text,
  pos0 integer, pos1 integer, owner text, date text, memo text, avid integer,
  important integer, unique(cid, fid, pos0, pos1, owner));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer,
  owner text, date text, color text, supercid integer, unique(name));
CREATE TABLE project (databaseversion text, date text, memo text, about text,
  bookmarkfile integer, bookmarkpos integer, codername text, recently_used_codes text,
  avbookmarkfile integer, avbookmarkmsec integer, avbookmarktextpos integer);
INSERT INTO project VALUES ('v17', '2025-01-01 00:00:00', '', 'headless', 0, 0, 'qc-test', '',
  null, null, null);
CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, owner text,
  unique(name));
"""

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
    conn.executescript(SCHEMA)
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

"""Import keeps what a project holds or says what it left (issue 14, items 4 and 5): cases and
variables become participants in roster.csv and participant ids in segments.csv; codable parent
codes stay codes; sets, graphs and other notes are listed as not carried over."""

from __future__ import annotations

import re
import zipfile

from refi_helpers import DATA, export_args, make_zip, project_xml, write_study

from qualcode.io import read_segments
from qualcode.roster import read_roster

G = "0000000{}-0000-4000-8000-000000000000".format


def _roster_rows(path):
    return [tuple(r) for r in read_roster(path).itertuples(index=False)]


def test_atlasti_codable_parent_stays_a_code_and_the_summary_says_so(cli, tmp_path):
    result = cli("import", "qdpx", DATA / "atlasti-23-target-project.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"│ codes +│ +3 │", result.stdout), result.stdout
    assert (
        "warning: code 'Commits' has sub-codes and is codable; it groups them, and a repeating "
        "idea of the same name holds its own codings" in result.stderr
    )


def test_handmade_project_case_becomes_a_participant_and_losses_are_listed(cli, tmp_path):
    result = cli("import", "qdpx", DATA / "qualcode-mini.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    roster = (tmp_path / "o" / "roster.csv").read_text(encoding="utf-8")
    assert roster == (
        "transcript_id,speaker,participant_id,role,role (variable),age\n"
        "Focus_group_1,P2,P2,participant,patient,54\n"
    )
    segments = read_segments(tmp_path / "o" / "segments.csv")
    assert list(segments["participant_id"]) == ["", "P2", ""]
    assert "not carried over (2):\n" in result.stdout
    assert "  - set 'Repeating ideas' (1 member(s)): qualcode has no sets\n" in (result.stdout)
    assert "  - note 'Memo on cost' (a memo or journal entry that is not a coding memo)" in (
        result.stdout
    )
    assert result.stderr.count("warning: not carried over: ") == 2


def test_qualcode_export_gives_back_its_roster(cli, tmp_path):
    study = write_study(tmp_path / "study")
    out = tmp_path / "s.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    result = cli("import", "qdpx", out, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    assert "not carried over" not in result.stdout + result.stderr
    assert _roster_rows(tmp_path / "back" / "roster.csv") == [
        ("fg1", "Facilitator", "F1", "facilitator", "", ""),
        ("fg1", "Ana", "P1", "participant", "F", "30-39"),
        ("fg2", "Ana", "P1", "participant", "F", "30-39"),
        ("fg1", "Ben", "P2", "participant", "M", ""),
    ]


def _without_qualcode_data(src, dst):
    """The export as another program gives it back: no qualcode data note, no SourceRefs."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    qde = members["project.qde"].decode("utf-8")
    qde = re.sub(r'<Note guid="[^"]+" name="qualcode data.*?</Note>', "", qde, flags=re.S)
    qde = re.sub(r"<NoteRef [^>]*/>\s*</Project>", "</Project>", qde)
    qde = re.sub(r"<SourceRef [^>]*/>", "", qde)
    assert "qualcode data" not in qde
    members["project.qde"] = qde.encode("utf-8")
    return make_zip(dst, members)


def test_cases_map_speakers_when_the_data_note_is_gone(cli, tmp_path):
    study = write_study(tmp_path / "study")
    out = tmp_path / "s.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    other = _without_qualcode_data(out, tmp_path / "other.qdpx")
    result = cli("import", "qdpx", other, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    segments = read_segments(tmp_path / "back" / "segments.csv")
    assert [(r.speaker, r.participant_id) for r in segments.itertuples()] == [
        ("Facilitator", "F1"),
        ("Ana", "P1"),
        ("Ben", "P2"),
        ("Ana", "P1"),
        ("Unknown Speaker", ""),
    ]
    assert "│ participants (cases)     │     3 │" in result.stdout
    assert "│   speakers mapped to one │     4 │" in result.stdout


def _case_project(cases: str, variables: str = "") -> str:
    sel = (
        f'<PlainTextSelection guid="{G(6)}" startPosition="0" endPosition="9">'
        f'<Coding guid="{G(7)}"><CodeRef targetGUID="{G(1)}"/></Coding></PlainTextSelection>'
    )
    return project_xml(
        f'<CodeBook><Codes><Code guid="{G(1)}" name="A" isCodable="true"/></Codes></CodeBook>'
        f"{variables}<Cases>{cases}</Cases>"
        f'<Sources><TextSource guid="{G(5)}" name="s"><PlainTextContent>Ann: Yes.\n\nBob: No.'
        f"</PlainTextContent>{sel}</TextSource></Sources>"
    )


def test_a_case_on_coded_passages_maps_their_speaker(cli, tmp_path):
    variables = (
        f'<Variables><Variable guid="{G(8)}" name="age" typeOfVariable="Integer"/></Variables>'
    )
    case = (
        f'<Case guid="{G(2)}" name="Participant 7"><VariableValue><VariableRef targetGUID="{G(8)}"/>'
        f'<IntegerValue>41</IntegerValue></VariableValue><SelectionRef targetGUID="{G(6)}"/></Case>'
    )
    qdpx = make_zip(tmp_path / "p.qdpx", {"project.qde": _case_project(case, variables)})
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert _roster_rows(tmp_path / "o" / "roster.csv") == [
        ("s", "Ann", "Participant 7", "participant", "41")
    ]
    segments = read_segments(tmp_path / "o" / "segments.csv")
    assert list(segments["participant_id"]) == ["Participant 7", ""]


def test_cases_that_match_no_speaker_become_a_participant_sheet(cli, tmp_path):
    variables = (
        f'<Variables><Variable guid="{G(8)}" name="site" typeOfVariable="Text"/></Variables>'
    )
    cases = (
        f'<Case guid="{G(2)}" name="Zoe"><VariableValue><VariableRef targetGUID="{G(8)}"/>'
        f"<TextValue>North</TextValue></VariableValue></Case>"
        f'<Case guid="{G(3)}"><SourceRef targetGUID="{G(5)}"/></Case>'
    )
    qdpx = make_zip(tmp_path / "p.qdpx", {"project.qde": _case_project(cases, variables)})
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "o" / "roster.csv").read_text(encoding="utf-8") == (
        "participant_id,site\nZoe,North\n"
    )
    assert "none of the 1 case(s) matches a speaker of the sources" in result.stderr
    assert "  - a case without a name (0 variable value(s), 1 source reference(s))" in result.stdout


def test_a_speaker_label_with_a_comma_maps_through_the_case_description(cli, tmp_path):
    study = write_study(tmp_path / "study")
    for key in ("segments", "roster"):
        text = study[key].read_text(encoding="utf-8").replace("Ben,", '"Vega, Marisol",')
        study[key].write_text(text, encoding="utf-8")
    out = tmp_path / "s.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    other = _without_qualcode_data(out, tmp_path / "other.qdpx")
    with zipfile.ZipFile(other) as zf:
        assert "speaker label(s): Vega, Marisol<" in zf.read("project.qde").decode("utf-8")
    result = cli("import", "qdpx", other, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    segments = read_segments(tmp_path / "back" / "segments.csv")
    assert ("Vega, Marisol", "P2") in [(r.speaker, r.participant_id) for r in segments.itertuples()]
    assert "case 'P2'" not in result.stdout

"""Cases and variables of an imported REFI-QDA project, as qualcode participants (a roster).

A REFI-QDA `<Case>` is a unit of analysis (in a focus-group study: a participant) with variable
values (`<VariableValue>`: age band, gender, ...) and references to what belongs to it: whole sources
(`<SourceRef>`) or coded passages (`<SelectionRef>`). qualcode keeps participants in a roster
(transcript_id, speaker -> participant_id, role, attributes), so each case becomes a participant id
(its name) and its variables attribute columns. Which speaker of which source a case is, is read, in
this order, from:

1. the case's passages (`SelectionRef`): the speakers of the turns they overlap;
2. the speaker labels a case names: its own name, or the labels in a Description that qualcode wrote
   ("speaker label(s): Ana; Ana R."), matched to the speakers of the sources it refers to
   (`SourceRef`; every source when it refers to none) as ingest matches roster speakers.

A case that matches no speaker is still a participant: when no case maps a speaker, roster.csv is a
participant sheet (participant_id and attributes); otherwise the unmatched cases are reported as not
carried over. Cases without a name (MAXQDA and Quirkos keep source variables that way) are not
participants and are reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from qualcode.interop.refi_common import attr, child, child_text, children, normalise_guid

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SPEAKERS_PREFIX = "speaker label(s): "  # how refi_export describes a case
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue")
_VALUE_TAGS += ("DateTimeValue",)
_META = ("transcript_id", "speaker", "participant_id", "role")


@dataclass
class SourceTurns:
    """One imported source: its guid, transcript id and turns (each with a `row` dict)."""

    guid: str
    transcript_id: str
    turns: list


@dataclass
class CasesResult:
    roster: pd.DataFrame | None
    participant_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (tid, key) -> id
    not_carried: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _variables(root: Element) -> dict[str, str]:
    el = child(root, "Variables")
    out: dict[str, str] = {}
    for var in children(el, "Variable") if el is not None else []:
        guid = normalise_guid(attr(var, "guid"))
        name = (attr(var, "name") or "").strip()
        if guid and name:
            out[guid] = name
    return out


def _values(el: Element, variables: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for vv in children(el, "VariableValue"):
        ref = child(vv, "VariableRef")
        name = (
            variables.get(normalise_guid(attr(ref, "targetGUID")) or "")
            if ref is not None
            else None
        )
        if not name:
            continue
        for tag in _VALUE_TAGS:
            value = child(vv, tag)
            if value is not None:
                out[name] = (value.text or "").strip()
                break
    return out


def read_cases(
    root: Element, sources: list[SourceTurns], selections: dict[str, dict]
) -> CasesResult:
    """The project's cases as a roster, and the participant of each (transcript, speaker key).

    `selections` maps a selection guid to its mapped turns (`spans` of (turn index, start, end) in
    `turns`), as import built them.
    """
    import pandas as pd

    from qualcode.ingest.turns import role_from_name
    from qualcode.roster import speaker_key

    result = CasesResult(roster=None)
    cases_el = child(root, "Cases")
    cases = children(cases_el, "Case") if cases_el is not None else []
    if not cases:
        return result
    variables = _variables(root)
    by_guid = {s.guid: s for s in sources}
    tid_of_turns = {id(s.turns): s.transcript_id for s in sources}

    people: list[tuple[str, dict[str, str]]] = []  # (participant id, attributes) in file order
    speaker_rows: dict[
        tuple[str, str], tuple[str, str, str]
    ] = {}  # (tid, key) -> (id, label, role)
    unmatched: list[str] = []
    for case in cases:
        name = (attr(case, "name") or "").strip()
        values = _values(case, variables)
        if not name:
            refs = len(children(case, "SourceRef"))
            result.not_carried.append(
                f"a case without a name ({len(values)} variable value(s), {refs} source "
                "reference(s)): qualcode keeps variables of participants, not of sources"
            )
            continue
        if any(pid == name for pid, _ in people):
            result.warnings.append(f"two cases are named {name!r}; the second is left out")
            continue
        people.append((name, values))
        found: list[tuple[str, str, str]] = []  # (tid, label, role)
        for ref in children(case, "SelectionRef"):
            sel = selections.get(normalise_guid(attr(ref, "targetGUID")) or "")
            if sel is None:
                continue
            tid = tid_of_turns.get(id(sel["turns"]))
            for i, _, _ in sel["spans"]:
                row = sel["turns"][i].row
                found.append((tid, row["speaker"], row["role"]))
        if not found:
            description = child_text(case, "Description").strip()
            labels = [name]
            if description.startswith(SPEAKERS_PREFIX):
                listed = description[len(SPEAKERS_PREFIX) :]
                labels = [listed, *(s.strip() for s in listed.split("; "))]
            keys = {speaker_key(label) for label in labels if label.strip()}
            refs = [normalise_guid(attr(r, "targetGUID")) for r in children(case, "SourceRef")]
            where = [by_guid[g] for g in refs if g in by_guid] or sources
            for source in where:
                for turn in source.turns:
                    if speaker_key(turn.row["speaker"]) in keys:
                        found.append((source.transcript_id, turn.row["speaker"], turn.row["role"]))
        if not found:
            unmatched.append(name)
        for tid, label, role in found:
            key = (tid, speaker_key(label))
            old = speaker_rows.setdefault(key, (name, label, role))
            if old[0] != name:
                result.warnings.append(
                    f"speaker {label!r} of {tid!r} belongs to cases {old[0]!r} and {name!r}; "
                    f"kept {old[0]!r}"
                )
    attributes: list[str] = []
    for _, values in people:
        for key in values:
            if key not in attributes:
                attributes.append(key)
    columns = {a: (f"{a} (variable)" if a in _META else a) for a in attributes}
    values_of = dict(people)
    if speaker_rows:
        rows = []
        for (tid, _), (pid, label, role) in speaker_rows.items():
            role = role if role in ("participant", "facilitator") else role_from_name(label)
            if role not in ("participant", "facilitator"):
                role = "participant"
            rows.append(
                {
                    "transcript_id": tid,
                    "speaker": label,
                    "participant_id": pid,
                    "role": role,
                    **{columns[a]: values_of[pid].get(a, "") for a in attributes},
                }
            )
        result.roster = pd.DataFrame(rows, columns=[*_META, *columns.values()])
        result.participant_of = {key: pid for key, (pid, _, _) in speaker_rows.items()}
        for name in unmatched:
            result.not_carried.append(
                f"case {name!r} ({len(values_of[name])} variable value(s)): it matches no "
                "speaker of the sources"
            )
    else:
        rows = [
            {"participant_id": pid, **{columns[a]: v.get(a, "") for a in attributes}}
            for pid, v in people
        ]
        result.roster = pd.DataFrame(rows, columns=["participant_id", *columns.values()])
        if people:
            result.warnings.append(
                f"none of the {len(people)} case(s) matches a speaker of the sources: roster.csv "
                "lists them as participants with their variables, and participant_id stays "
                "empty in segments.csv"
            )
    return result

"""A methods paragraph and the COREQ items (Tong, Sainsbury & Craig 2007) that the data can fill.

Every statement comes from a computed fact: the number of participants and groups, group sizes,
durations from timestamps, the coders and the double-coded share, agreement before reconciliation
(coder A vs coder B) and after (each coder vs the consensus), the decisions log, the saturation
result with its parameters (Guest, Namey & Chen 2020), the coding tree counts and qualcode's version.
What the data cannot tell is marked "to complete by hand" (in the paragraph as "[To complete: ...]")
and never guessed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import EventOrderError, StudyData
from qualcode.analysis.result import ReportResult

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.agreement.compare import Comparison
    from qualcode.analysis.hierarchy import HierarchyReport
    from qualcode.analysis.narrative import NarrativeReport
    from qualcode.analysis.saturation import SaturationReport

FROM_DATA = "from data"
BY_HAND = "to complete by hand"
STATUSES = (FROM_DATA, BY_HAND)
COREQ_ITEMS: dict[int, str] = {
    1: "Interviewer/facilitator",
    12: "Sample size",
    15: "Presence of non-participants",
    21: "Duration",
    22: "Data saturation",
    24: "Number of data coders",
    25: "Description of the coding tree",
    26: "Derivation of themes",
    27: "Software",
    29: "Quotations presented",
    32: "Clarity of minor themes",
}
MATCH_WORDING = {
    "union": "the union of both coders' codes",
    "intersection": "the intersection of both coders' codes",
    "prefer-a": "coder A's codes",
    "prefer-b": "coder B's codes",
}
AGREEMENT_COLUMNS = (
    "stage",
    "pair",
    "segments",
    "both",
    "only_a",
    "only_b",
    "neither",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
)


def todo(what: str) -> str:
    """The paragraph's mark for a fact only the researcher knows."""
    return f"[To complete: {what}]"


@dataclass
class MethodsReport(ReportResult):
    """COREQ items (number, item, value, status), the paragraph as sentences with their status, the
    agreement figures, and the facts the sentences were built from."""

    coreq: pd.DataFrame
    sentences: pd.DataFrame
    agreement: pd.DataFrame
    facts: dict[str, Any] = field(default_factory=dict)
    terminal_skip: ClassVar[tuple[str, ...]] = ("paragraph",)  # printed whole in the summary

    def __post_init__(self) -> None:
        self.kind = "methods"
        self.title = "Methods paragraph and COREQ items"

    @property
    def paragraph(self) -> str:
        return " ".join(self.sentences["sentence"].tolist())

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"coreq": self.coreq, "paragraph": self.sentences, "agreement": self.agreement}

    def summary(self) -> dict[str, Any]:
        return {"paragraph": self.paragraph, **self.facts}


# --- facts --------------------------------------------------------------------------------------
def group_sizes(data: StudyData) -> dict[str, int]:
    """Distinct participants per transcript: the roster's participants there plus any participant
    who spoke there without a roster row."""
    from qualcode.model import ROLE_PARTICIPANT

    people: dict[str, set[str]] = {t: set() for t in data.transcripts}
    if data.roster is not None:
        r = data.roster[data.roster["role"] == ROLE_PARTICIPANT]
        for t, p in zip(r["transcript_id"], r["participant_id"], strict=True):
            if t in people and p:
                people[t].add(p)
    seg = data.segments[data.segments["role"] == ROLE_PARTICIPANT]
    for t, p in zip(seg["transcript_id"], seg["participant_id"], strict=True):
        if t in people and p:
            people[t].add(p)
    return {t: len(p) for t, p in people.items()}


def durations(segments: pd.DataFrame) -> dict[str, float | None]:
    """Minutes from the first to the last timestamp of each transcript (None without two)."""
    import pandas as pd

    out: dict[str, float | None] = {}
    for tid, sub in segments.groupby("transcript_id", sort=False):
        times = []
        for col in ("start_time", "end_time"):
            if col in sub.columns:
                times.append(pd.to_numeric(sub[col], errors="coerce"))
        values = pd.concat(times).dropna() if times else pd.Series([], dtype=float)
        out[str(tid)] = (
            float(values.max() - values.min()) / 60
            if len(values) >= 2 and values.max() > 0
            else None
        )
    return out


def _one_duration(minutes: float) -> str:
    seconds = round(minutes * 60)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    whole = round(minutes)
    return f"{whole} minute{'s' if whole != 1 else ''}"


def duration_text(lo: float, hi: float) -> str:
    """A duration or a range, worded right: "44 seconds", "1 minute", "15-24 minutes", "under a
    minute to 3 minutes" (never "1 minutes"); `lo` and `hi` in minutes."""
    if _one_duration(lo) == _one_duration(hi):
        return _one_duration(lo)
    if round(lo * 60) < 60 <= round(hi * 60):
        return f"under a minute to {_one_duration(hi)}"
    a, b = _one_duration(lo), _one_duration(hi)
    unit_a, unit_b = a.split()[1].rstrip("s"), b.split()[1].rstrip("s")
    if unit_a == unit_b:
        return f"{a.split()[0]}-{b.split()[0]} {unit_b}s"
    return f"{a} to {b}"


def _number(value: float) -> str:
    return f"{value:g}"


def _stat(value: Any) -> str:
    return "undefined" if value is None or value != value else f"{value:.3f}"


def _share(value: float) -> str:
    from qualcode.analysis.demographics import percent_text

    return percent_text(value)


def _percent(value: float | None) -> str:
    from qualcode.analysis.demographics import percent_text

    return "undefined" if value is None or value != value else percent_text(value, 1)


def _pooled_row(stage: str, c: Comparison) -> dict[str, Any]:
    p = c.overall["pooled"]
    return {
        "stage": stage,
        "pair": f"{c.coder_a} vs {c.coder_b}",
        "segments": c.double_coded,
        **{k: int(p[k]) for k in ("both", "only_a", "only_b", "neither")},
        "percent_agreement": p["percent_agreement"],
        "cohen_kappa": p["cohen_kappa"],
        "krippendorff_alpha": p["krippendorff_alpha"],
    }


def agreement_figures(
    data: StudyData,
    coder_a: pd.DataFrame,
    coder_b: pd.DataFrame,
    consensus: pd.DataFrame | None,
    *,
    files: dict[str, Any] | None = None,
    reviewed: str = "codings",
) -> tuple[Comparison, list[Comparison]]:
    """A vs B (before), and each coder vs the consensus on the same double-coded segments (after),
    pooled over code x segment decisions (`qualcode.agreement.compare`)."""
    from qualcode.agreement.compare import compare_codings

    files = files or {}
    segments = data.segments
    before = compare_codings(
        coder_a,
        coder_b,
        codebook=data.codebook,
        segments=segments,
        a_path=files.get("a"),
        b_path=files.get("b"),
        include_facilitator=data.include_facilitator,
        reviewed=reviewed,
    )
    after: list[Comparison] = []
    if consensus is not None:
        both = set(before.double_coded_ids)
        cons = consensus[consensus["segment_id"].isin(both)]
        seg_both = segments[segments["segment_id"].isin(both)]
        for df, key in ((coder_a, "a"), (coder_b, "b")):
            after.append(
                compare_codings(
                    df[df["segment_id"].isin(both)],
                    cons,
                    codebook=data.codebook,
                    segments=seg_both,
                    a_path=files.get(key),
                    b_path=files.get("consensus"),
                    include_facilitator=data.include_facilitator,
                    reviewed=reviewed,
                )
            )
    return before, after


def _decisions_sentence(
    decisions: pd.DataFrame, facts: dict[str, Any]
) -> tuple[tuple[str, str], str]:
    """What the reconcile log (decisions.csv) records, naming mechanical rules as such (their rows
    say decided_by rule:<strategy>). Returns the sentence and the first rule ("" if none)."""
    from qualcode.reconcile import MECHANICAL_WORDING, is_mechanical, mechanical_rules

    mech = is_mechanical(decisions)
    rules = mechanical_rules(decisions)
    talked = decisions[~mech]
    counts = talked["decision"].value_counts()
    kept, dropped, added = (int(counts.get(k, 0)) for k in ("kept", "dropped", "added"))
    n_mech = int(mech.sum())
    facts["decisions"] = {
        "negotiated": len(talked),
        "kept": kept,
        "dropped": dropped,
        "added": added,
        "mechanical": n_mech,
        "rules": rules,
    }
    wording = " and ".join(MECHANICAL_WORDING.get(r, r) for r in rules)
    negotiated = (
        f"{len(talked)} coding decisions on differences were taken in discussion and logged "
        f"({kept} kept, {dropped} dropped, {added} added in discussion)"
    )
    if n_mech and not len(talked):
        text = (
            f"The consensus was formed mechanically by {wording} ({n_mech} differences decided by "
            "rule); it was not negotiated."
        )
    elif n_mech:
        text = (
            f"{negotiated}; {n_mech} further differences were decided mechanically by {wording}, "
            "not negotiated."
        )
    else:
        text = (
            "Disagreements were resolved by discussion (negotiated agreement, Campbell et al. "
            f"2013): {negotiated}."
        )
    return (text, FROM_DATA), (rules[0] if rules else "")


def _mechanical_consensus(
    before: Comparison, coder_a: pd.DataFrame, coder_b: pd.DataFrame, consensus: pd.DataFrame | None
) -> str:
    """Without a decisions log: the mechanical rule the consensus matches exactly on the
    double-coded turns (union, intersection, prefer-a, prefer-b), or "" (none, or the coders
    agree everywhere so nothing tells)."""
    if consensus is None:
        return ""
    units = set(before.double_coded_ids)

    def cells(df: pd.DataFrame) -> set[tuple[str, str]]:
        sub = df[df["segment_id"].isin(units) & (df["code_id"].astype(str).str.strip() != "")]
        ids = sub["code_id"].astype(str).str.strip()
        return set(zip(sub["segment_id"].astype(str), ids, strict=True))

    a, b, c = cells(coder_a), cells(coder_b), cells(consensus)
    if a == b:
        return ""
    for rule, made in (("union", a | b), ("intersection", a & b), ("prefer-a", a), ("prefer-b", b)):
        if c == made:
            return rule
    return ""


def _absent_share(pooled: dict[str, Any]) -> str:
    """How much of the pooled figure rests on both coders leaving a code off (O'Connor & Joffe
    2020): the share of `neither` cells among all code x turn decisions."""
    total = sum(int(pooled[k]) for k in ("both", "only_a", "only_b", "neither"))
    if not total:
        return ""
    return (
        f" ({_percent(int(pooled['neither']) / total)} of these decisions are turns where both "
        "coders left a code off, which dominates pooled figures)"
    )


def _per_code_sentence(c: Comparison, facts: dict[str, Any]) -> tuple[str, str]:
    """Per-code range and median of kappa and alpha, and how many codes fall below 0.667, beside the
    pooled figure (O'Connor & Joffe 2020; the kappa paradox, Feinstein & Cicchetti 1990)."""
    from qualcode.agreement.compare import ALPHA_TENTATIVE

    per = c.per_code
    parts = []
    summary: dict[str, Any] = {}
    for key, name in (
        ("cohen_kappa", "Cohen's kappa"),
        ("krippendorff_alpha", "Krippendorff's alpha"),
    ):
        values = per[key].dropna()
        if len(values):
            lo, hi, med = float(values.min()), float(values.max()), float(values.median())
            summary[key] = {"min": lo, "max": hi, "median": med, "codes": len(values)}
            parts.append(f"{name} {_stat(lo)} to {_stat(hi)} (median {_stat(med)})")
    alphas = per["krippendorff_alpha"].dropna()
    below = int((alphas < ALPHA_TENTATIVE).sum())
    undefined = int(per["krippendorff_alpha"].isna().sum())
    summary.update(below_0667=below, codes=len(per), undefined=undefined)
    facts["per_code_agreement"] = summary
    if not parts:
        return (todo("per-code agreement (no code has a defined kappa or alpha)."), BY_HAND)
    text = (
        f"Per code, over the {len(alphas)} codes with a defined value, {' and '.join(parts)}; "
        f"{below} of {len(alphas)} codes had alpha below {ALPHA_TENTATIVE:.3f}"
    )
    if undefined:
        text += f" ({undefined} code(s) undefined: not observed or without variation)"
    text += " (O'Connor & Joffe 2020; on the kappa paradox, Feinstein & Cicchetti 1990)."
    return (text, FROM_DATA)


def _unit_sentence(
    data: StudyData,
    coder_a: pd.DataFrame,
    coder_b: pd.DataFrame,
    unit: str,
    files: dict[str, Any] | None,
    reviewed: str,
    facts: dict[str, Any],
) -> tuple[str, str]:
    """Agreement on the chosen sub-turn unit: span (Krippendorff's unitized alpha per code and
    pooled, Krippendorff 1995, 2004) or sentence (pooled and per-code 2x2 statistics)."""
    from qualcode.agreement.compare import ALPHA_TENTATIVE
    from qualcode.agreement.unitized import SENTENCE_RULE, compare_by_unit

    files = files or {}
    c = compare_by_unit(
        coder_a,
        coder_b,
        unit=unit,
        segments=data.segments,
        codebook=data.codebook,
        a_path=files.get("a"),
        b_path=files.get("b"),
        include_facilitator=data.include_facilitator,
        reviewed=reviewed,
    )
    facts["agreement_unit"] = unit
    if unit == "span":
        p = c.span.pooled
        facts["span_agreement"] = dict(p)
        head = (
            "Span-level agreement was measured with Krippendorff's unitized alpha (uα; "
            "Krippendorff 1995, 2004) for each code over the characters of the double-coded "
            f"turns ({c.span.characters} characters; a coding without a span covers its turn)"
        )
        if not p["codes_defined"]:
            return (f"{head}; no code was marked in them, so uα is not observed.", FROM_DATA)
        return (
            f"{head}: over the {p['codes_defined']} codes with a defined value, uα "
            f"{_stat(p['min'])} to {_stat(p['max'])} (median {_stat(p['median'])}), "
            f"{p['codes_below_tentative']} below {ALPHA_TENTATIVE:.3f}; pooled across codes "
            f"(1 - sum uDo / sum uDe, Krippendorff 2004) {_stat(p['u_alpha'])}.",
            FROM_DATA,
        )
    q = c.overall["pooled"]
    alphas = c.per_code["krippendorff_alpha"].dropna()
    below = int((alphas < ALPHA_TENTATIVE).sum())
    facts["sentence_agreement"] = {
        "sentences": c.sentence["sentences"],
        "pooled_alpha": q["krippendorff_alpha"],
        "below_0667": below,
    }
    text = (
        "Sentence-level agreement, a simplification of span-level agreement, took each sentence "
        f"of the double-coded turns as a unit ({c.sentence['sentences']} in all), and "
        f"{SENTENCE_RULE}. Pooled over code x sentence decisions: "
        f"{_percent(q['percent_agreement'])} agreement, "
        f"Cohen's kappa {_stat(q['cohen_kappa'])}, Krippendorff's alpha "
        f"{_stat(q['krippendorff_alpha'])}"
    )
    if len(alphas):
        text += (
            f"; per code, alpha {_stat(float(alphas.min()))} to {_stat(float(alphas.max()))} "
            f"(median {_stat(float(alphas.median()))}), {below} of {len(alphas)} codes below "
            f"{ALPHA_TENTATIVE:.3f}"
        )
    return (text + ".", FROM_DATA)


def _origin_text(data: StudyData, facts: dict[str, Any]) -> str:
    """How many codes were written in advance and how many found during coding, and when and by
    whom each inductive one was added and the transcript it was first applied in (COREQ 26; issue
    16.2), or "" when no code of the codebook states an `origin:` (then nothing in the data says
    how the codes were derived).

    "First applied in" follows the order the events took place (`data.event_order`, from the
    roster's event_order/event_date or --order); without it no transcript is called first and the
    transcripts the code was applied in are listed in display order. Applied means counted in
    `data.applied` (negative cases and, unless included, facilitator turns are not)."""
    codes = data.codebook.codes() if data.codebook is not None else []
    if not any(c.origin for c in codes):
        return ""
    inductive = [c for c in codes if c.inductive]
    deductive = len(codes) - len(inductive)
    applied = data.applied
    rows = applied[applied["code_id"].isin([c.id for c in inductive])]
    used: dict[str, set[str]] = {}
    for code_id, tid in zip(rows["code_id"], rows["transcript_id"], strict=True):
        used.setdefault(code_id, set()).add(tid)
    order = data.event_order
    transcripts = order if order is not None else data.transcripts
    where: dict[str, list[str]] = {
        c.id: [t for t in transcripts if t in used.get(c.id, ())] for c in inductive
    }
    first = {c: (ts[0] if ts and order is not None else None) for c, ts in where.items()}
    facts["code_origins"] = {
        "deductive": deductive,
        "inductive": len(inductive),
        "inductive_codes": [
            {
                "id": c.id,
                "label": c.label,
                "added_on": c.added_on,
                "added_by": c.added_by,
                "first_transcript": first[c.id],
                "transcripts": where[c.id],
            }
            for c in inductive
        ],
    }
    text = (
        f"of the {len(codes)} code{'s' if len(codes) != 1 else ''}, {deductive} "
        f"{'was' if deductive == 1 else 'were'} written in advance (deductive) and "
        f"{len(inductive)} {'was' if len(inductive) == 1 else 'were'} added during coding, from "
        "the data (inductive)"
    )
    if inductive:
        parts = []
        for c in inductive:
            when = f"on {c.added_on}" if c.added_on else "on an unrecorded date"
            who = f"by {c.added_by}" if c.added_by else "by an unrecorded coder"
            if not where[c.id]:
                seen = "not applied in these codings"
            elif first[c.id] is not None:
                seen = f"first applied in {first[c.id]}"
            else:
                seen = f"applied in {', '.join(where[c.id])}; the order of the events is unknown"
            parts.append(f"{c.id} '{c.label}' (added {when} {who}; {seen})")
        text += ": " + "; ".join(parts)
    return text


# --- the report ---------------------------------------------------------------------------------
def methods_report(
    data: StudyData,
    *,
    coder_a: pd.DataFrame | None = None,
    coder_b: pd.DataFrame | None = None,
    consensus: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    hierarchy: HierarchyReport | None = None,
    narrative: NarrativeReport | None = None,
    saturation: SaturationReport | None = None,
    saturation_options: dict[str, Any] | None = None,
    quotes: int = 3,
    quote_label: str | None = None,
    files: dict[str, Any] | None = None,
    version: str | None = None,
    reviewed: str = "codings",
    unit: str = "turn",
) -> MethodsReport:
    """COREQ items and a methods paragraph for the study in `data`.

    `coder_a`/`coder_b` (codings of two coders) give the coders, the double-coded share and the
    agreement before reconciliation; with `consensus` (the codings reported on) also the agreement
    after; `decisions` (a reconcile log) the decisions taken. Computed reports may be passed in to
    avoid recomputing; otherwise they are computed (saturation with `saturation_options`).
    `unit` (turn, span, sentence; qualcode.agreement.unitized) adds the span- or sentence-level
    agreement beside the turn-level figures.
    """
    import pandas as pd

    from qualcode import __version__
    from qualcode.analysis.hierarchy import (
        MIN_PARTICIPANTS,
        hierarchy_report,
        sources_by_type,
        sources_text,
    )
    from qualcode.analysis.narrative import narrative_report
    from qualcode.analysis.saturation import (
        STATUS_REACHED,
        format_threshold,
        saturation_report,
    )

    if (coder_a is None) != (coder_b is None):
        from qualcode.errors import QualcodeError

        raise QualcodeError("agreement needs both coders' codings (coder A and coder B)")
    version = version or __version__
    if hierarchy is None:
        hierarchy = hierarchy_report(data, quotes=0)
    if narrative is None:
        narrative = narrative_report(
            data, quotes=quotes, hierarchy=hierarchy, quote_label=quote_label
        )
    sat_error = ""
    if saturation is None:
        try:
            saturation = saturation_report(
                data, **{"permutations": 0, **(saturation_options or {})}
            )
        except EventOrderError as exc:
            sat_error = exc.message if hasattr(exc, "message") else str(exc)

    items: list[dict[str, Any]] = []
    sentences: list[tuple[str, str]] = []
    facts: dict[str, Any] = {}

    def item(number: int, value: str, status: str) -> None:
        items.append(
            {"number": number, "item": COREQ_ITEMS[number], "value": value, "status": status}
        )

    # 12 sample size ----------------------------------------------------------------------------
    n_participants = len(data.participants())
    sizes = group_sizes(data)
    n_groups = len(sizes)
    size_values = list(sizes.values())
    facts.update(participants=n_participants, groups=n_groups, group_sizes=sizes)
    size_text = ""
    if n_groups > 1 and size_values:
        med = statistics.median(size_values)
        facts.update(group_size_median=med, group_size_range=[min(size_values), max(size_values)])
        size_text = (
            f" (group size median {_number(med)}, range {min(size_values)}-{max(size_values)})"
        )
    g_word = "group" if n_groups == 1 else "groups"
    p_word = "participant" if n_participants == 1 else "participants"
    by_type = sources_by_type(data)
    if by_type and set(by_type) != {"focus_group"}:
        # Interviews, field notes, documents (issue 16.3): named as what they are, and group
        # sizes only over the focus groups.
        types = data.segments.groupby("transcript_id")["source_type"].first()
        focus = [n for t, n in sizes.items() if types.get(t) == "focus_group"]
        size_text = ""
        if len(focus) > 1:
            med = statistics.median(focus)
            size_text = (
                f" (focus group size median {_number(med)}, range {min(focus)}-{max(focus)})"
            )
        listing = sources_text(by_type)
        facts.update(sources_by_type=by_type)
        item(12, f"{n_participants} {p_word} in {listing}{size_text}", FROM_DATA)
        sentences.append(
            (f"The data are {listing}, with {n_participants} {p_word}{size_text}.", FROM_DATA)
        )
    else:
        item(12, f"{n_participants} {p_word} in {n_groups} {g_word}{size_text}", FROM_DATA)
        sentences.append(
            (
                f"The data are {n_groups} transcribed {g_word} with {n_participants} {p_word}"
                f"{size_text}.",
                FROM_DATA,
            )
        )

    # 15 non-participants -----------------------------------------------------------------------
    seg = data.segments
    fac = seg[seg["role"] == "facilitator"]
    unknown = seg[seg["role"] == "unknown"]
    fac_groups = fac["transcript_id"].nunique()
    fac_names = list(dict.fromkeys(fac["speaker"].tolist()))
    parts = [
        f"facilitator turns in {fac_groups} of {n_groups} {g_word}"
        + (f" ({', '.join(fac_names)})" if fac_names else "")
    ]
    if len(unknown):
        where = ", ".join(dict.fromkeys(unknown["transcript_id"].tolist()))
        parts.append(f"{len(unknown)} turn(s) by unidentified speakers ({where})")
    else:
        parts.append("no turns by unidentified speakers")
    # The research team (COREQ items 1-8): transcripts show who facilitated, not which author.
    item(
        1,
        "Transcripts record " + "; ".join(parts[:1]) + "; which author(s) facilitated is for the "
        "researcher to state",
        BY_HAND,
    )
    # Item 15 asks whether anyone besides participants and researchers was present (Tong,
    # Sainsbury & Craig 2007): transcripts cannot show a silent observer or a relative.
    item(
        15,
        "Transcripts cannot show whether anyone other than participants and researchers was "
        "present" + (f" ({'; '.join(parts[1:])})" if len(parts) > 1 else ""),
        BY_HAND,
    )
    facts.update(facilitator_groups=int(fac_groups), unknown_speaker_turns=len(unknown))

    # 21 duration -------------------------------------------------------------------------------
    mins = durations(seg)
    timed = {t: m for t, m in mins.items() if m is not None}
    facts["duration_minutes"] = {t: round(m, 1) for t, m in timed.items()}
    if timed:
        lo, hi = min(timed.values()), max(timed.values())
        span = duration_text(lo, hi)
        value = f"{span} (first to last timestamp) in {len(timed)} of {n_groups} {g_word}"
        missing = [t for t in mins if t not in timed]
        if missing:
            item(21, f"{value}; no timestamps in {', '.join(missing)}", BY_HAND)
            sentences.append(
                (
                    f"Timed {g_word} lasted {span} from the first to the last timestamp; "
                    + todo(f"the duration of {', '.join(missing)} (no timestamps).")
                    + "",
                    BY_HAND,
                )
            )
        else:
            item(21, value, FROM_DATA)
            sentences.append((f"The {g_word} lasted {span} (first to last timestamp).", FROM_DATA))
    else:
        item(21, "no timestamps in the transcripts", BY_HAND)
        sentences.append((todo("how long the groups lasted (no timestamps)."), BY_HAND))

    # segmentation (not a COREQ item, but the unit every count rests on)
    n_turns = len(seg)
    counted = "included in" if data.include_facilitator else "treated as context and excluded from"
    by_fac = f" ({len(fac)} by facilitators)" if len(fac) else ""
    sentences.append(
        (
            f"The transcripts were divided into {n_turns} speaker turns{by_fac}; facilitator turns "
            f"were {counted} the counts.",
            FROM_DATA,
        )
    )

    # 24 coders, agreement ----------------------------------------------------------------------
    agreement_rows: list[dict[str, Any]] = []
    if coder_a is not None and coder_b is not None:
        from qualcode.agreement.compare import REVIEWED_RULES

        before, after = agreement_figures(
            data, coder_a, coder_b, consensus, files=files, reviewed=reviewed
        )
        # One definition with `compare`: the share of the codable (non-facilitator) turns.
        share = _share(before.double_coded_share)
        of = f"{before.share_double_coded} of {before.share_denominator} {before.share_unit}"
        item(24, f"2 ({before.coder_a}, {before.coder_b}); {of} ({share}) coded by both", FROM_DATA)
        facts.update(
            coders=[before.coder_a, before.coder_b],
            double_coded=before.share_double_coded,
            double_coded_of=before.share_denominator,
            double_coded_share=before.double_coded_share,
        )
        sentences.append(
            (
                f"Two coders ({before.coder_a} and {before.coder_b}) coded the transcripts; "
                f"{of} ({share}) were coded by both.",
                FROM_DATA,
            )
        )
        facts["reviewed_rule"] = before.reviewed_rule
        sentences.append(
            (
                f"Each coder was taken to have reviewed {REVIEWED_RULES[before.reviewed_rule]}; "
                "a code one coder applied and the other did not counts as a disagreement.",
                FROM_DATA,
            )
        )
        if before.reviewed_rule == "codings" and before.no_empty_rows:
            names = " and ".join(before.no_empty_rows)
            sentences.append(
                (
                    todo(
                        f"the codings of {names} list only coded turns, so the turns reviewed and "
                        "left uncoded are not recorded and agreement may be inflated; state what "
                        "each coder reviewed."
                    ),
                    BY_HAND,
                )
            )
        agreement_rows.append(_pooled_row("before reconciliation", before))
        p = before.overall["pooled"]
        sentences.append(
            (
                "Agreement before reconciliation, pooled over code x turn decisions on the "
                f"double-coded turns: {_percent(p['percent_agreement'])} agreement, Cohen's kappa "
                f"{_stat(p['cohen_kappa'])}, Krippendorff's alpha {_stat(p['krippendorff_alpha'])}"
                f"{_absent_share(p)}.",
                FROM_DATA,
            )
        )
        sentences.append(_per_code_sentence(before, facts))
        if unit != "turn":
            sentences.append(_unit_sentence(data, coder_a, coder_b, unit, files, reviewed, facts))
        paradox = [
            f"{r['id']} (kappa {_stat(r['cohen_kappa'])})"
            for df in (before.per_theme, before.per_construct)
            if len(df) and "prevalence_paradox" in df.columns
            for r in df[df["prevalence_paradox"]].to_dict(orient="records")
        ]
        if paradox:
            facts["prevalence_paradox"] = paradox
            sentences.append(
                (
                    f"For {', '.join(paradox)}, kappa is low while the ideas it rolls up agree "
                    "well: a roll-up applied to most turns has high prevalence, and kappa then "
                    "understates agreement (the high-prevalence paradox, Feinstein & Cicchetti "
                    "1990).",
                    FROM_DATA,
                )
            )
        sentences.append(
            (
                todo(
                    "whether coding was done in rounds (e.g. after each group, meeting to agree the "
                    "codebook between rounds) and whether agreement was measured per round."
                ),
                BY_HAND,
            )
        )
        mechanical = ""
        if decisions is not None:
            sentence, mechanical = _decisions_sentence(decisions, facts)
            sentences.append(sentence)
        else:
            mechanical = _mechanical_consensus(before, coder_a, coder_b, consensus)
            if mechanical:
                facts["mechanical_consensus"] = mechanical
                sentences.append(
                    (
                        todo(
                            f"how disagreements were resolved: the consensus equals "
                            f"{MATCH_WORDING[mechanical]} on the double-coded turns, as the "
                            f"mechanical shortcut {mechanical} would make it; the decisions log "
                            "tells whether it was negotiated."
                        ),
                        BY_HAND,
                    )
                )
            else:
                sentences.append((todo("how disagreements were resolved."), BY_HAND))
        if after and mechanical:
            sentences.append(
                (
                    "Each coder's agreement with the consensus is not reported: a consensus formed "
                    "by a mechanical rule agrees with the coders by construction, so it would not "
                    "be post-discussion agreement.",
                    FROM_DATA,
                )
            )
        elif after:
            texts = []
            for c in after:
                agreement_rows.append(_pooled_row("after reconciliation", c))
                q = c.overall["pooled"]
                texts.append(
                    f"{c.coder_a} kappa {_stat(q['cohen_kappa'])}, alpha "
                    f"{_stat(q['krippendorff_alpha'])} ({_percent(q['percent_agreement'])})"
                )
            name = after[0].coder_b
            named = "" if name.casefold() == "consensus" else f" ({name})"
            sentences.append(
                (
                    f"Agreement of each coder with the negotiated consensus{named} on the same "
                    f"turns: {'; '.join(texts)}.",
                    FROM_DATA,
                )
            )
    else:
        item(24, "coder files not given", BY_HAND)
        sentences.append(
            (todo("the number of coders, the double-coded share and agreement."), BY_HAND)
        )
        if decisions is not None:
            sentences.append(_decisions_sentence(decisions, facts)[0])
    agreement = pd.DataFrame(agreement_rows, columns=list(AGREEMENT_COLUMNS))

    # 25 coding tree, 26 derivation -------------------------------------------------------------
    c = hierarchy.counts
    repeating = c.get("repeating_ideas", 0)
    below = c.get("ideas_applied", 0) - repeating
    never = c.get("ideas", 0) - c.get("ideas_applied", 0)
    n_codes = c.get("ideas", 0)
    # The codes applied are candidate repeating ideas: only those voiced by two or more
    # participants are repeating ideas (the two-participant rule). A flat codebook has codes.
    flat = not c.get("constructs") and not c.get("themes")
    tree = []
    if c.get("constructs"):
        tree.append(f"{c['constructs']} construct{'s' if c['constructs'] != 1 else ''}")
    if c.get("themes"):
        tree.append(f"{c['themes']} theme{'s' if c['themes'] != 1 else ''}")
    if flat:
        tree.append(f"{n_codes} code{'s' if n_codes != 1 else ''}")
    else:
        tree.append(f"{n_codes} idea{'s' if n_codes != 1 else ''} (the codes applied)")
    tree_text = ", ".join(tree[:-1]) + (" and " if len(tree) > 1 else "") + tree[-1]
    rule = f"{repeating} voiced by {MIN_PARTICIPANTS} or more participants" + (
        "" if flat else " (repeating ideas)"
    )
    item(25, f"{tree_text}; {rule}", FROM_DATA)
    facts["coding_tree"] = dict(c)
    holds = (
        f"The codebook holds {tree_text} (no themes or constructs)"
        if flat
        else f"The coding tree (Auerbach & Silverstein 2003) holds {tree_text}"
    )
    sentences.append(
        (
            f"{holds}; {repeating} {'was' if repeating == 1 else 'were'} voiced by "
            f"{MIN_PARTICIPANTS} or more participants{'' if flat else ' (repeating ideas)'}"
            + (f" and {below} by fewer (reported apart as leftovers)" if below > 0 else "")
            + (f"; {never} {'was' if never == 1 else 'were'} never applied" if never > 0 else "")
            + ".",
            FROM_DATA,
        )
    )
    origin = _origin_text(data, facts)
    if origin and flat:
        item(26, origin, FROM_DATA)
        sentences.append((origin[0].upper() + origin[1:] + ".", FROM_DATA))
    elif origin:
        item(
            26,
            f"{origin}; whether themes were identified in advance or derived from the data is "
            "for the researcher to state",
            BY_HAND,
        )
        sentences.append((origin[0].upper() + origin[1:] + ".", FROM_DATA))
        sentences.append(
            (todo("whether themes were identified in advance or from the data."), BY_HAND)
        )
    elif flat:
        item(
            26,
            f"the codebook lists {n_codes} codes without themes; whether codes were set in "
            "advance or derived from the data is for the researcher to state",
            BY_HAND,
        )
        sentences.append((todo("whether codes were defined in advance or from the data."), BY_HAND))
    else:
        item(
            26,
            f"the codebook's hierarchy groups {n_codes} ideas into themes; whether themes "
            "were set in advance or derived from the data is for the researcher to state",
            BY_HAND,
        )
        sentences.append(
            (todo("whether themes were identified in advance or from the data."), BY_HAND)
        )

    # 22 saturation -----------------------------------------------------------------------------
    if saturation is not None:
        o = saturation.outcome
        prm = saturation.parameters
        params = (
            f"base {prm['base']}, run {prm['run']}, threshold "
            f"{format_threshold(prm['threshold'])}, {prm['denominator']} denominator, new = "
            f"{prm['new']}"
        )
        facts["saturation"] = {"result": o.result, "status": o.status, "parameters": prm}
        cite = "Guest, Namey & Chen 2020" + (
            "; for focus groups Guest, Namey & McKenna 2017" if saturation.focus_groups else ""
        )
        what = (
            "Thematic saturation (new ideas emerging over the groups, after Guest, Namey & Chen "
            "2020"
            + ("; for focus groups, Guest, Namey & McKenna 2017" if saturation.focus_groups else "")
            + "; not theoretical saturation, Saunders et al. 2018), assessed"
        )
        if o.status == STATUS_REACHED:
            value = f"reached at {o.result} ({cite}; {params})"
            sentence = f"{what} with {params}, was reached at {o.result}: {o.reason}."
        else:
            value = f"{o.status}: {o.reason} ({cite}; {params})"
            sentence = f"{what} with {params}: {o.status} ({o.reason})."
        if saturation.warnings:
            value += "; " + "; ".join(saturation.warnings)
            sentence += " Note: " + "; ".join(saturation.warnings) + "."
        if saturation.limitations:
            value += "; limitation: " + "; ".join(saturation.limitations)
            sentence += " Limitation: " + "; ".join(saturation.limitations) + "."
        item(22, value, FROM_DATA)
        sentences.append((sentence, FROM_DATA))
    else:
        item(22, f"not computed: {sat_error}", BY_HAND)
        sentences.append((todo("data saturation (the order of the groups is unknown)."), BY_HAND))

    # 27 software, 29 quotations, 32 minor themes -----------------------------------------------
    item(27, f"qualcode {version}", FROM_DATA)
    n_quotes = len(narrative.quotes)
    n_quoted = narrative.quotes["idea_id"].nunique() if n_quotes else 0
    item(
        29,
        f"{n_quotes} verbatim quotes for {n_quoted} ideas, each identified by group, participant "
        "and turn",
        FROM_DATA,
    )
    lo = hierarchy.leftovers
    leftover = lo[(lo["kind"] == "idea") & lo["reason"].str.contains("leftover")]
    no_theme = lo[lo["reason"].isin(["fits no theme", "fits no construct"])]
    negative = hierarchy.negative_cases
    n_negative = 0 if negative is None else len(negative)
    minor = (
        f"{len(leftover)} leftover idea(s) voiced by fewer than {MIN_PARTICIPANTS} participants"
        f"{': ' + ', '.join(leftover['id']) if len(leftover) else ''}; "
        f"{len(no_theme)} idea(s) or theme(s) fitting no higher level"
        + (f": {', '.join(no_theme['id'])}" if len(no_theme) else "")
        + f"; {n_negative} negative case(s) flagged on codings"
        + (
            f" ({', '.join(dict.fromkeys(negative['idea_id']))})"
            if n_negative
            else " (flag one with #negative in a coding's memo)"
        )
    )
    item(32, minor, FROM_DATA)
    sentences.append((f"Counts and agreement were computed with qualcode {version}.", FROM_DATA))

    items.sort(key=lambda r: r["number"])
    report = MethodsReport(
        coreq=pd.DataFrame(items, columns=["number", "item", "value", "status"]),
        sentences=pd.DataFrame(sentences, columns=["sentence", "status"]),
        agreement=agreement,
        facts=facts,
    )
    report.notes.append(
        "COREQ: Tong, Sainsbury & Craig (2007), items that qualcode can fill from the data; the "
        "rest of the 32 items are the researcher's. Status 'to complete by hand' marks what the "
        "data cannot tell."
    )
    if not agreement.empty:
        report.notes.append(
            "Agreement is pooled over every code x segment decision on the segments both coders "
            "reviewed; the 'after' rows compare each coder with the consensus on those segments."
        )
    if saturation is not None and saturation.warnings:
        report.warnings.extend(saturation.warnings)
    report.notes.extend(n for n in data.notes if n.startswith("These codings are a consensus"))
    return report

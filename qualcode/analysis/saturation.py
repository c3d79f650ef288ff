"""Thematic saturation after Guest, Namey & Chen (2020), PLoS ONE 15(5):e0232076; for focus groups
also Guest, Namey & McKenna (2017, Field Methods 29(1):3-22). It measures new codes (ideas) emerging
over events; it is not theoretical saturation (Saunders et al. 2018), which concerns a theory's
categories being fully developed.

For an Auerbach & Silverstein codebook (themes or constructs) a repeating idea is new in the event
where its second distinct participant voices it ("two-participant", the default there; brief assent
does not voice it); "first-mention" of a code, the default for a flat codebook, is an option.
Leftovers (ideas voiced by fewer than two participants) are never new. The parameters come from one
place (`saturation_parameters`): the options given, else the study settings (qualcode.yaml
`saturation:`), else SATURATION_DEFAULTS, so `report saturation` and `report methods` agree.

Events (groups, interviews) in data-collection order; u_i = codes new in event i. A base of b events
gives B = u_1 + ... + u_b. For s = b, b+1, ... the run of the next r events adds R = u_(s+1) + ... +
u_(s+r); saturation is the first s with R / B <= threshold, reported as "s+r" (Guest et al. 2020,
"Calculating saturation"). With the cumulative denominator, B is replaced by u_1 + ... + u_s.
The discovery curve (share of all final codes seen after k events) comes with a band from seeded
random permutations of the event order, so a reader sees how much the order itself matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualcode.analysis.data import StudyData, resolve_event_order
from qualcode.analysis.result import ReportResult
from qualcode.errors import QualcodeError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

NEW_FIRST_MENTION = "first-mention"
NEW_TWO_PARTICIPANT = "two-participant"
NEW_DEFINITIONS = {
    NEW_FIRST_MENTION: "a code is new in the event where it is first applied (first mention)",
    NEW_TWO_PARTICIPANT: "a code is new in the event where, counting all events so far, it first "
    "reaches two distinct participants (the two-participant rule for a repeating idea)",
}
DENOMINATORS = ("base", "cumulative")
VALIDATED_BASE = (4, 6)  # Guest et al. (2020) examined bases of 4-6 and runs of 2-3
VALIDATED_RUN = (2, 3)
SENSITIVITY_BASES = (4, 5, 6)
SENSITIVITY_RUNS = (2, 3)
SENSITIVITY_THRESHOLDS = (0.0, 0.05)
STATUS_REACHED = "reached"
STATUS_NOT_REACHED = "not reached"
STATUS_NOT_ASSESSABLE = "not assessable"
_EPS = 1e-12  # R / B <= threshold compared as R <= threshold * B, with float slack
# The one set of defaults (`new` depends on the codebook: see `default_new`).
SATURATION_DEFAULTS: dict[str, Any] = {
    "base": 4,
    "run": 2,
    "threshold": 0.05,
    "denominator": "base",
}
PARAMETER_KEYS = ("base", "run", "threshold", "denominator", "new")
UNEQUAL_SIZE_RATIO = 2  # the largest group at least twice the smallest: sizes "very unequal"
CITATION = "Guest, Namey & Chen 2020"
FOCUS_GROUP_CITATION = "Guest, Namey & McKenna 2017"


def default_new(codebook: Any) -> str:
    """two-participant for an A&S codebook (themes or constructs), else first-mention."""
    if codebook is not None and (codebook.constructs or codebook.themes):
        return NEW_TWO_PARTICIPANT
    return NEW_FIRST_MENTION


def saturation_parameters(
    codebook: Any = None, settings: dict[str, Any] | None = None, **given: Any
) -> dict[str, Any]:
    """The saturation parameters, from one place: `given` (options not None) win over `settings`
    (the study's qualcode.yaml `saturation:`), which win over SATURATION_DEFAULTS and
    `default_new(codebook)`."""
    out = {**SATURATION_DEFAULTS, "new": default_new(codebook)}
    for source in (settings or {}, given):
        out.update({k: v for k, v in source.items() if k in PARAMETER_KEYS and v is not None})
    return out


@dataclass
class SaturationOutcome:
    """One application of the Guest et al. rule to a u vector."""

    status: str
    result: str  # "8+2", or the status when saturation is not reached / not assessable
    s: int | None
    reason: str
    base_total: int
    runs: pd.DataFrame  # s, run_events, new_in_run, denominator, ratio, meets


def format_threshold(threshold: float) -> str:
    return f"{threshold * 100:g}%"


def fitting_parameters(n: int, run: int) -> tuple[int, int] | None:
    """The base and run that `n` events can assess, keeping the run if it fits beside a base at
    least as long (Guest et al. 2020 use base >= run): None below 2 events."""
    if n < 2:
        return None
    fitted_run = max(1, min(run, n // 2))
    return n - fitted_run, fitted_run


def too_few_events(n: int, base: int, run: int) -> str:
    """Saturation cannot be assessed on `n` events with these parameters: say so once, with the
    parameters that would work."""
    text = f"{n} event{'s' if n != 1 else ''} are too few for base {base} + run {run}"
    fitting = fitting_parameters(n, run)
    if fitting is None:
        return text + " (at least 2 events are needed: a base of 1 and a run of 1)"
    return text + f"; with {n} events, base {fitting[0]} and run {fitting[1]} can be assessed"


def guest_saturation(
    u: Sequence[int],
    *,
    base: int = 4,
    run: int = 2,
    threshold: float = 0.05,
    denominator: str = "base",
) -> SaturationOutcome:
    """Apply Guest, Namey & Chen (2020) to new-code counts `u` (one per event, in order)."""
    import pandas as pd

    if base < 1 or run < 1:
        raise QualcodeError(f"base and run must be at least 1 (got base {base}, run {run})")
    if not 0 <= threshold <= 1:
        raise QualcodeError(f"threshold must be between 0% and 100%, got {threshold!r}")
    if denominator not in DENOMINATORS:
        raise QualcodeError(
            f"denominator must be one of {', '.join(DENOMINATORS)}, got {denominator!r}"
        )
    u = [int(x) for x in u]
    n = len(u)
    base_total = sum(u[:base])
    columns = ["s", "run_events", "new_in_run", "denominator", "ratio", "meets"]
    if n < base + run:
        return SaturationOutcome(
            STATUS_NOT_ASSESSABLE,
            STATUS_NOT_ASSESSABLE,
            None,
            too_few_events(n, base, run),
            base_total,
            pd.DataFrame([], columns=columns),
        )
    if base_total == 0:
        return SaturationOutcome(
            STATUS_NOT_ASSESSABLE,
            STATUS_NOT_ASSESSABLE,
            None,
            f"no codes were seen in the first {base} events, so the base is empty",
            base_total,
            pd.DataFrame([], columns=columns),
        )
    rows = []
    found: int | None = None
    for s in range(base, n - run + 1):
        new_in_run = sum(u[s : s + run])
        denom = base_total if denominator == "base" else sum(u[:s])
        meets = new_in_run <= threshold * denom + _EPS
        rows.append(
            {
                "s": s,
                "run_events": f"{s + 1}-{s + run}" if run > 1 else f"{s + 1}",
                "new_in_run": new_in_run,
                "denominator": denom,
                "ratio": new_in_run / denom,
                "meets": bool(meets),
            }
        )
        if meets and found is None:
            found = s
    runs = pd.DataFrame(rows, columns=columns)
    if found is None:
        return SaturationOutcome(
            STATUS_NOT_REACHED,
            STATUS_NOT_REACHED,
            None,
            f"no run of {run} event{'s' if run != 1 else ''} added {format_threshold(threshold)} "
            f"or less new codes before the data ended ({n} events)",
            base_total,
            runs,
        )
    new_in_run = int(runs.loc[runs["s"] == found, "new_in_run"].iat[0])
    return SaturationOutcome(
        STATUS_REACHED,
        f"{found}+{run}",
        found,
        f"{_events_text(found + 1, found + run)} added {new_in_run} new code(s), "
        f"{new_in_run / (base_total if denominator == 'base' else sum(u[:found])):.1%} of the "
        f"{'base' if denominator == 'base' else 'codes so far'}",
        base_total,
        runs,
    )


def parameter_warnings(base: int, run: int) -> list[str]:
    lo_b, hi_b = VALIDATED_BASE
    lo_r, hi_r = VALIDATED_RUN
    if lo_b <= base <= hi_b and lo_r <= run <= hi_r:
        return []
    return [
        f"base {base} and run {run} are outside the range Guest et al. (2020) validated "
        f"(base {lo_b}-{hi_b}, run {lo_r}-{hi_r})"
    ]


# --- from codings to u ---------------------------------------------------------------------------
def _event_positions(data: StudyData, order: list[str], new: str) -> list[list[np.ndarray]]:
    """Per code, the event indices that matter: for first-mention one array of events where the code
    was applied; for two-participant one array per participant of the events where they voiced it."""
    import numpy as np

    index = {t: i for i, t in enumerate(order)}
    # Only the columns used here (the text and the rest would be copied into every code's part).
    used = [c for c in ("code_id", "participant_id", "assent") if c in data.applied.columns]
    applied = data.applied[used].assign(_event=data.applied["transcript_id"].map(index))
    # Only turns that voice an idea count (brief assent seconds it), as in the hierarchy.
    voicing = applied[~applied["assent"]] if "assent" in applied.columns else applied
    leftovers = _leftover_ideas(data, voicing)
    out: list[list[np.ndarray]] = []
    by_code = dict(tuple(applied.groupby("code_id", sort=False)))
    per_person = _events_per_person(voicing) if new != NEW_FIRST_MENTION else {}
    for code in data.code_ids:
        sub = by_code.get(code)
        if sub is None or code in leftovers:
            out.append([])  # never applied, or a leftover: never new
        elif new == NEW_FIRST_MENTION:
            out.append([np.unique(sub["_event"].to_numpy())])
        else:
            out.append(per_person.get(code, []))
    return out


def _events_per_person(voicing: pd.DataFrame) -> dict[str, list[np.ndarray]]:
    """code -> one sorted array of distinct events per participant who voiced it (participants in
    sorted order), from one sort of the (code, participant, event) triples; a groupby per code
    and participant cost 28 s at 250k segments (issue 19)."""
    import numpy as np

    people = voicing.loc[voicing["participant_id"] != "", ["code_id", "participant_id", "_event"]]
    people = people.drop_duplicates().sort_values(
        ["code_id", "participant_id", "_event"], kind="stable"
    )
    if people.empty:
        return {}
    codes = people["code_id"].to_numpy()
    persons = people["participant_id"].to_numpy()
    events = people["_event"].to_numpy()
    new_person = np.ones(len(people), dtype=bool)
    new_person[1:] = (codes[1:] != codes[:-1]) | (persons[1:] != persons[:-1])
    starts = np.flatnonzero(new_person)
    arrays = np.split(events, starts[1:])
    out: dict[str, list[np.ndarray]] = {}
    for code, array in zip(codes[starts].tolist(), arrays, strict=True):
        out.setdefault(code, []).append(array)
    return out


def _leftover_ideas(data: StudyData, voicing: pd.DataFrame) -> set[str]:
    """Ideas of an A&S codebook voiced by fewer than two participants in the whole study: leftovers,
    never new (docs/method.md). A flat codebook has no leftovers."""
    from qualcode.analysis.hierarchy import MIN_PARTICIPANTS

    cb = data.codebook
    if cb is None or not (cb.constructs or cb.themes):
        return set()
    people = voicing[voicing["participant_id"] != ""].groupby("code_id")["participant_id"].nunique()
    return {c for c in data.code_ids if int(people.get(c, 0)) < MIN_PARTICIPANTS}


# Cells of positions looked at per block of orders (8 MB of int64; the gather, its minima and
# their partition are each up to this size: 4x as many cells held 100 MB at 250k segments).
ORDER_BLOCK_CELLS = 1 << 20


def first_new_positions(events: list[list[np.ndarray]], pos: np.ndarray, new: str) -> np.ndarray:
    """For each order (row of `pos`, pos[p, e] = position of event e in order p) and code, the
    position at which the code becomes new; n_events when it never does. Shape (orders, codes)."""
    import numpy as np

    n_orders, n_events = pos.shape
    first = np.full((n_orders, len(events)), n_events, dtype=np.int64)
    for c, arrays in enumerate(events):
        if not arrays or (new != NEW_FIRST_MENTION and len(arrays) < 2):
            continue
        # Every person's events side by side; the earliest per person is a min over their slice
        # (one reduceat, not one fancy index per person), a block of orders at a time.
        flat = np.concatenate(arrays)
        starts = np.zeros(len(arrays), dtype=np.int64)
        np.cumsum([len(a) for a in arrays[:-1]], out=starts[1:])
        block = max(1, ORDER_BLOCK_CELLS // max(1, len(flat)))
        for lo in range(0, n_orders, block):
            seen = np.minimum.reduceat(pos[lo : lo + block][:, flat], starts, axis=1)
            if new == NEW_FIRST_MENTION:
                first[lo : lo + block, c] = seen[:, 0]
            else:
                first[lo : lo + block, c] = np.partition(seen, 1, axis=1)[:, 1]
    return first


def _curve(first: np.ndarray, n_events: int, n_final: int) -> np.ndarray:
    """Share of the final codes seen after k = 1..n events, per order (rows)."""
    import numpy as np

    counts = np.zeros((first.shape[0], n_events + 1), dtype=np.int64)
    rows = np.repeat(np.arange(first.shape[0]), first.shape[1])
    np.add.at(counts, (rows, first.ravel()), 1)
    seen = np.cumsum(counts[:, :n_events], axis=1)
    return seen / n_final if n_final else np.zeros_like(seen, dtype=float)


def _permutation_band(
    events: list[list[np.ndarray]], n: int, n_final: int, new: str, permutations: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 2.5th, 50th and 97.5th percentiles over `permutations` random event orders of the
    share of the final codes seen after k = 1..n events (the band around the discovery curve).

    A block of orders at a time, then a block of k at a time: the orders x events tables
    (random keys, orders, positions, counts, shares) were each permutations x n cells, 80 MB at
    10,000 events (issue 19). The random stream is drawn in the same sequence, each row sorted
    on its own, and each k's percentiles use only that k's column: the same numbers."""
    import numpy as np

    rng = np.random.default_rng(seed)
    first = np.empty((permutations, len(events)), dtype=np.int64)
    rows = max(1, ORDER_BLOCK_CELLS // n)
    for lo in range(0, permutations, rows):
        perms = np.argsort(rng.random((min(rows, permutations - lo), n)), axis=1)  # k-th event
        # pos[p, e] = position of event e: the inverse permutation, scattered in one pass (a
        # second argsort gave the same array in n log n), as int32 (positions < n), so each
        # order's row, gathered from once per code, takes half the cache.
        pos = np.empty(perms.shape, dtype=np.int32)
        np.put_along_axis(pos, perms, np.arange(n, dtype=np.int32)[None, :], axis=1)
        first[lo : lo + len(pos)] = first_new_positions(events, pos, new)
    # seen[p, k - 1] = codes new at a position < k in order p (as `_curve` counts them).
    order_of = np.repeat(np.arange(permutations), first.shape[1])
    at = first.ravel()
    carried = np.zeros(permutations, dtype=np.int64)  # codes new before the block's first k
    bands: list[np.ndarray] = []
    columns = max(1, ORDER_BLOCK_CELLS // permutations)
    for k0 in range(0, n, columns):
        k1 = min(n, k0 + columns)
        counts = np.zeros((permutations, k1 - k0), dtype=np.int64)
        inside = (at >= k0) & (at < k1)
        np.add.at(counts, (order_of[inside], at[inside] - k0), 1)
        seen = carried[:, None] + np.cumsum(counts, axis=1)
        carried = seen[:, -1].copy()
        shares = seen / n_final if n_final else np.zeros_like(seen, dtype=float)
        bands.append(np.percentile(shares, [2.5, 50, 97.5], axis=0))
    low, mid, high = np.concatenate(bands, axis=1)
    return low, mid, high


@dataclass
class SaturationReport(ReportResult):
    """The Guest et al. result, its runs table, the new codes per event, a sensitivity grid and the
    discovery curve with a permutation band."""

    outcome: SaturationOutcome
    events: pd.DataFrame
    sensitivity: pd.DataFrame
    curve: pd.DataFrame
    parameters: dict[str, Any]
    new_definition: str
    n_codes_final: int
    k_80: int | None
    k_90: int | None
    limitations: list[str] | None = None
    focus_groups: bool = True

    def __post_init__(self) -> None:
        self.kind = "saturation"
        self.title = "Thematic saturation (Guest, Namey & Chen 2020)"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "runs": self.outcome.runs,
            "events": self.events,
            "sensitivity": self.sensitivity,
            "curve": self.curve,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "result": self.outcome.result,
            "status": self.outcome.status,
            "s": self.outcome.s,
            "reason": self.outcome.reason,
            "base_total": self.outcome.base_total,
            "parameters": self.parameters,
            "new_definition": self.new_definition,
            "codes_final": self.n_codes_final,
            "k_80": self.k_80,
            "k_90": self.k_90,
            "limitations": list(self.limitations or []),
        }


def saturation_report(
    data: StudyData,
    *,
    base: int = 4,
    run: int = 2,
    threshold: float = 0.05,
    denominator: str = "base",
    new: str | None = None,
    order: Sequence[str] | None = None,
    permutations: int = 1000,
    seed: int = 0,
) -> SaturationReport:
    """Saturation of the codes in `data` over its events in data-collection order (`new` None:
    `default_new` of the study's codebook)."""
    import numpy as np
    import pandas as pd

    if new is None:
        new = default_new(data.codebook)
    if new not in NEW_DEFINITIONS:
        raise QualcodeError(
            f"new must be one of {', '.join(NEW_DEFINITIONS)}, got {new!r}",
        )
    if order is not None:
        events_order = resolve_event_order(
            data.transcripts, data.roster, order, roster_path=data.roster_path
        )
    elif data.event_order is not None:
        events_order = data.event_order
    else:
        events_order = resolve_event_order(
            data.transcripts, data.roster, None, roster_path=data.roster_path
        )
    n = len(events_order)
    events = _event_positions(data, events_order, new)
    observed = first_new_positions(events, np.arange(n)[None, :], new)[0]
    final = observed < n
    n_final = int(final.sum())
    u = np.bincount(observed[final], minlength=n)[:n].astype(int).tolist()

    outcome = guest_saturation(u, base=base, run=run, threshold=threshold, denominator=denominator)
    new_ids = [[] for _ in range(n)]
    for code, position in zip(data.code_ids, observed.tolist(), strict=True):
        if position < n:
            new_ids[position].append(code)
    event_rows = pd.DataFrame(
        {
            "event": list(range(1, n + 1)),
            "transcript_id": events_order,
            "new_codes": u,
            "cumulative": np.cumsum(u).astype(int).tolist() if n else [],
            "new_code_ids": [", ".join(ids) for ids in new_ids],
        }
    )
    grid = []
    for b in SENSITIVITY_BASES:
        for r in SENSITIVITY_RUNS:
            if b + r > n:
                continue  # too few events: said once in a note, not as rows of "not assessable"
            for t in SENSITIVITY_THRESHOLDS:
                o = guest_saturation(u, base=b, run=r, threshold=t, denominator=denominator)
                grid.append(
                    {
                        "base": b,
                        "run": r,
                        "threshold": format_threshold(t),
                        "result": o.result,
                        "status": o.status,
                    }
                )
    sensitivity = pd.DataFrame(grid, columns=["base", "run", "threshold", "result", "status"])

    curve_obs = _curve(observed[None, :], n, n_final)[0] if n else np.array([])
    curve = pd.DataFrame(
        {
            "k": list(range(1, n + 1)),
            "transcript_id": events_order,
            "seen": np.cumsum(u).astype(int).tolist() if n else [],
            "share": curve_obs.tolist(),
        }
    )
    if permutations > 0 and n > 0:
        low, mid, high = _permutation_band(events, n, n_final, new, permutations, seed)
        curve["band_low"] = low.tolist()
        curve["band_median"] = mid.tolist()
        curve["band_high"] = high.tolist()
    k_80 = _k_at(curve_obs, 0.8)
    k_90 = _k_at(curve_obs, 0.9)

    params = {
        "base": base,
        "run": run,
        "threshold": threshold,
        "denominator": denominator,
        "new": new,
        "permutations": permutations,
        "seed": seed,
    }
    report = SaturationReport(
        outcome=outcome,
        events=event_rows,
        sensitivity=sensitivity,
        curve=curve,
        parameters=params,
        new_definition=NEW_DEFINITIONS[new],
        n_codes_final=n_final,
        k_80=k_80,
        k_90=k_90,
    )
    report.warnings.extend(parameter_warnings(base, run))
    report.focus_groups = is_focus_groups(data)
    report.limitations = size_limitations(data, events_order, outcome, run)
    denom_text = (
        "the base (new codes in the first b events)"
        if denominator == "base"
        else "all codes seen in events 1..s (cumulative)"
    )
    report.notes.append(
        f"Thematic saturation after {CITATION.replace(' 20', ' (20')})"
        + (
            f" and, for focus groups, {FOCUS_GROUP_CITATION.replace(' 20', ' (20')})"
            if report.focus_groups
            else ""
        )
        + f": base {base}, run {run}, threshold "
        f"{format_threshold(threshold)}, denominator {denom_text}. It measures new ideas "
        "emerging over the events; it is not theoretical saturation (Saunders et al. 2018)."
    )
    report.notes.append(f"New: {NEW_DEFINITIONS[new]}.")
    if data.has_spans:
        from qualcode.spans import turn_unit_note

        report.notes.append(turn_unit_note("saturation"))
    report.notes.append(f"Event order: {', '.join(events_order)}.")
    if outcome.status == STATUS_REACHED:
        report.notes.append(f"Saturation at {outcome.result}: {outcome.reason}.")
    else:
        report.notes.append(f"Saturation {outcome.status}: {outcome.reason}.")
    smallest = min(SENSITIVITY_BASES) + min(SENSITIVITY_RUNS)
    if n < max(SENSITIVITY_BASES) + max(SENSITIVITY_RUNS):
        report.notes.append(
            f"Sensitivity grid: no base/run pair of it fits {n} events (base "
            f"{min(SENSITIVITY_BASES)} + run {min(SENSITIVITY_RUNS)} needs {smallest})."
            if n < smallest
            else f"Sensitivity grid: only the base/run pairs that fit {n} events are shown."
        )
    if n:
        report.notes.append(
            f"Discovery: {n_final} codes in all; 80% seen after "
            f"{_k_text(k_80)}, 90% after {_k_text(k_90)}"
            + (
                f" (band: 2.5-97.5 percentiles over {permutations} random orders, seed {seed})."
                if permutations > 0
                else "."
            )
        )
    report.notes.extend(f"Limitation: {text}" for text in report.limitations)
    report.notes.extend(data.notes)
    return report


def is_focus_groups(data: StudyData) -> bool:
    """Focus groups unless the segments say otherwise (a source_type other than focus_group)."""
    seg = data.segments
    if "source_type" not in seg.columns:
        return True
    kinds = {str(v).strip() for v in seg["source_type"].tolist() if str(v).strip()}
    return not kinds or kinds == {"focus_group"}


def size_limitations(
    data: StudyData, order: list[str], outcome: SaturationOutcome, run: int
) -> list[str]:
    """Sentences for the text when events differ much in size (the largest at least
    UNEQUAL_SIZE_RATIO times the smallest), or when the run that decides rests on one small event
    (below the median size): new ideas per event partly reflect how many people spoke."""
    import statistics

    from qualcode.analysis.methods import group_sizes

    sizes = group_sizes(data)
    values = [sizes.get(t, 0) for t in order]
    if len(values) < 2 or min(values) <= 0:
        return []
    out = []
    lo, hi = min(values), max(values)
    if hi >= UNEQUAL_SIZE_RATIO * lo:
        out.append(
            f"group sizes were very unequal ({lo} to {hi} participants), so the number of new "
            "ideas per group partly reflects how many people took part"
        )
    if outcome.s is not None and run == 1:
        last = order[outcome.s]
        if sizes.get(last, 0) < statistics.median(values):
            out.append(
                f"the run that decides saturation is one small group ({last}, {sizes[last]} "
                f"participant{'s' if sizes[last] != 1 else ''})"
            )
    return out


def _events_text(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first}-{last}"


def _k_at(curve: np.ndarray, share: float) -> int | None:
    for k, value in enumerate(curve.tolist(), start=1):
        if value >= share - _EPS:
            return k
    return None


def _k_text(k: int | None) -> str:
    return "-" if k is None else f"{k} event{'s' if k != 1 else ''}"

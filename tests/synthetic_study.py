"""A seeded synthetic study for the partition and Dask tests: segments.csv with participant and
facilitator turns, an A&S codebook (constructs, themes, repeating ideas with keywords, phrases and
a pattern), so auto-coding and agreement run every branch on any number of segments."""

from __future__ import annotations

import csv
import random
from pathlib import Path

WORDS = sorted(
    {
        "".join(random.Random(i).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3 + i % 6))
        for i in range(700)
    }
)


def write_study(folder: Path, n_segments: int, n_codes: int = 24, seed: int = 7) -> dict[str, Path]:
    """segments.csv and codebook.yaml in `folder` (3 constructs, 2 themes each)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    keywords = [rng.sample(WORDS[100:], 3) for _ in range(n_codes)]
    for i, kws in enumerate(keywords):
        if i % 5 == 0:  # a phrase and a word with punctuation
            kws.append(f"{rng.choice(WORDS[100:])} {rng.choice(WORDS[100:])}")
            kws.append(f"{rng.choice(WORDS[100:])}'s")
    for kws in keywords:
        kws[:] = list(dict.fromkeys(k.casefold() for k in kws))
    lines = ["title: synthetic study", "constructs:"]
    per_theme = -(-n_codes // 6)
    code = 0
    for c in range(3):
        lines += [f"  - id: C{c + 1}", f"    label: construct {c + 1}", "    themes:"]
        for t in range(2):
            lines += [f"      - id: T{c * 2 + t + 1}", f"        label: theme {c * 2 + t + 1}"]
            lines.append("        repeating_ideas:")
            for _ in range(per_theme):
                if code >= n_codes:
                    break
                lines += [f"          - id: RI{code + 1}", f"            label: idea {code + 1}"]
                quoted = ", ".join('"' + k.replace('"', "") + '"' for k in keywords[code])
                lines.append(f"            keywords: [{quoted}]")
                if code == 1:
                    lines.append(r"            patterns: ['\b\d{3}\b']")
                code += 1
    codebook = folder / "codebook.yaml"
    codebook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    segments = folder / "segments.csv"
    flat = [k for kws in keywords for k in kws]
    with segments.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["segment_id", "transcript_id", "turn", "speaker", "participant_id", "role", "text"]
        )
        turns: dict[str, int] = {}
        for _ in range(n_segments):
            group = f"g{rng.randrange(max(1, n_segments // 300)):03d}"
            turns[group] = turns.get(group, 0) + 1
            turn = turns[group]
            words = rng.choices(WORDS, k=rng.randint(4, 30))
            for _ in range(rng.choice((0, 1, 1, 2))):
                words.insert(rng.randrange(len(words) + 1), rng.choice(flat))
            if rng.random() < 0.05:
                words.append(str(rng.randrange(1000)))
            text = " ".join(words).capitalize() + rng.choice((".", "?", "!"))
            facilitator = turn % 6 == 1
            speaker = "Facilitator" if facilitator else f"P{rng.randrange(8) + 1}"
            writer.writerow(
                [
                    f"{group}:{turn}",
                    group,
                    turn,
                    speaker,
                    "" if facilitator else f"{group}-{speaker}",
                    "facilitator" if facilitator else "participant",
                    text,
                ]
            )
    return {"segments": segments, "codebook": codebook}


def second_coder(codings: Path, out: Path, seed: int = 3) -> Path:
    """Another coder's file from `codings`: about 15% of the rows dropped, some codes changed."""
    rng = random.Random(seed)
    with codings.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    codes = sorted({r["code_id"] for r in rows if r["code_id"]})
    kept = []
    for row in rows:
        roll = rng.random()
        if roll < 0.15:
            continue
        row = {**row, "coder": "bea", "origin": "manual"}
        if roll > 0.95 and codes:
            row["code_id"] = rng.choice(codes)
            row["start_char"] = row["end_char"] = ""
        kept.append(row)
    seen, unique = set(), []
    for row in kept:
        if (row["segment_id"], row["code_id"]) not in seen:
            seen.add((row["segment_id"], row["code_id"]))
            unique.append(row)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(unique)
    return out

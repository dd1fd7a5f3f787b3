"""Seeded fuzz of the command-line contract (issue 11): hostile inputs of every kind mixed with good cases.

``triage score`` runs over each hostile folder four ways (JSON Lines and CSV, 1 and 2 workers,
to ``-o`` and to standard output) and must: write exactly one line per case (counted as in
``corpus.py``), each good case identical to scoring it alone, exit 1 (never 3), no traceback,
every error line naming the file, the case and the field or line, at most 64 KB each; output
in valid UTF-8 without raw control characters; CSV cells never starting like a formula
(formula-like ids prefixed with a quote); nothing from a link target outside the folder or
from an ignored file; no temporary file left; the same output for 1 and 2 workers; no YAML
tag running code. ``triage assess`` on each case file: exit 0 or 1, a located message, no raw
control characters, bounded. ``interview --resume`` on mutated sessions: exit 0 or 1, the file
named, a refused file left as it was, a case file named as not a saved interview.

``TRIAGE_FUZZ_SEED`` sets the seed (default 11; ``random`` draws one), ``TRIAGE_FUZZ_SCALE``
multiplies the campaign (default 1: about half a minute of CPU; 10 for the larger run of the
issue), and ``TRIAGE_FUZZ_REPORT=FILE`` appends each test's figures to FILE as JSON lines.
The seed is printed, and named in every failure message.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Corpus, Generator, Unit
from .helpers import (
    FORMULA_START,
    LINE_SOURCE,
    MAX_ERROR_LINE,
    RAW_CONTROL,
    Run,
    csv_flag,
    csv_rows,
    error_record_defects,
    internal_error_signs,
    jsonl_records,
    run_triage,
    strict_text,
    summarise,
    unlocated,
)

SCALE = float(os.environ.get("TRIAGE_FUZZ_SCALE", "1"))
ROUNDS = max(1, round(SCALE))
_seed_text = os.environ.get("TRIAGE_FUZZ_SEED", "11")
SEED = random.SystemRandom().randrange(1 << 30) if _seed_text == "random" else int(_seed_text)
FOLDER = "in"
CSV_FIELDS = {"urgency": "urgency", "surgical_consultation": "surgical_consultation", "complete": "complete"}


@dataclass
class Tally:
    """Figures of a fuzz test, and everything it found wrong."""

    name: str
    inputs: int = 0
    cases: int = 0
    runs: int = 0
    lines_out: int = 0
    exit_codes: Counter[int] = field(default_factory=Counter)
    defects: list[str] = field(default_factory=list)

    def report(self) -> None:
        """Print the figures (and append them to TRIAGE_FUZZ_REPORT), then fail naming the seed if anything was wrong."""
        figures = {"test": self.name, "seed": SEED, "scale": SCALE, "inputs": self.inputs, "cases": self.cases,
                   "runs": self.runs, "lines_out": self.lines_out, "exit_codes": dict(sorted(self.exit_codes.items())),
                   "defects": len(self.defects)}
        print("fuzz figures:", json.dumps(figures))
        if os.environ.get("TRIAGE_FUZZ_REPORT"):
            with open(os.environ["TRIAGE_FUZZ_REPORT"], "a", encoding="utf-8") as handle:
                handle.write(json.dumps({**figures, "first_defects": self.defects[:40]}) + "\n")
        kinds = Counter(d.split(":", 1)[0] for d in self.defects)
        assert not self.defects, (f"fuzz seed {SEED} (TRIAGE_FUZZ_SEED={SEED} to replay): {len(self.defects)} "
                                  f"defect(s), by run: {dict(kinds)}\n{summarise(self.defects)}")


def build_round(base: Path, number: int) -> tuple[Path, Corpus]:
    """One round's folder: ``in/`` (the corpus) and ``outside/`` (what links point to), under ``base``."""
    root = base / f"round-{number}"
    root.mkdir()
    generator = Generator(SEED * 1000 + number, secret=f"SECRET-{SEED}-{number}-7f3a", marker=root / "PWNED")
    return root, generator.build(root / FOLDER, root / "outside")


# --- triage score ---------------------------------------------------------------------------

def baseline(root: Path, corpus: Corpus) -> dict[str, dict[str, Any]]:
    """Each good case scored on its own (one JSON Lines file of only the good cases), by id, without source."""
    cases = corpus.good_cases
    (root / "good.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))
    run = run_triage(["score", "good.jsonl", "--workers", "1", "-q", "-o", "good-out.jsonl"], cwd=root)
    assert run.returncode == 0, f"fuzz seed {SEED}: the good cases alone do not score cleanly: {run.describe()}"
    records = [json.loads(line) for line in (root / "good-out.jsonl").read_text().splitlines()]
    assert len(records) == len(cases)
    return {r["case_id"]: {k: v for k, v in r.items() if k != "source"} for r in records}


def as_records(fmt: str, text: str, defects: list[str]) -> list[dict[str, Any]]:
    """Output lines as records with the JSON Lines keys (CSV rows: the flattened columns)."""
    if fmt == "jsonl":
        return jsonl_records(text, defects)
    return [{**row, "error": row.get("error") or None} for row in csv_rows(text, defects)]


def unit_of(source: str, units: dict[str, Unit]) -> Unit | None:
    """The input file an output line came from (None when its name cannot be matched, e.g. not UTF-8)."""
    return units.get(LINE_SOURCE.sub("", source))


def judge_score(run: Run, output: bytes, fmt: str, corpus: Corpus, good: dict[str, dict[str, Any]]) -> list[str]:
    """Everything the contract says about one ``triage score`` run over a hostile folder."""
    defects = list(internal_error_signs(run))
    if run.returncode != 1:
        defects.append(f"exit {run.returncode}, expected 1 (some cases could not be scored)")
    for what, data in (("stderr", run.stderr), ("output", output)):
        if (match := RAW_CONTROL.search(data)) is not None:
            defects.append(f"raw control character {match.group()!r} in {what}: "
                           f"{data[max(0, match.start() - 40):match.end() + 20]!r}")
        for token in (corpus.secret, corpus.ignored):
            if token.encode() in data:
                defects.append(f"{what} holds {token!r}, read from outside the folder or from an ignored file")
    text = strict_text(output, "output", defects)
    records = as_records(fmt, text, defects)
    if len(records) != corpus.total:
        defects.append(f"{len(records)} output lines for {corpus.total} input cases")
    units = {f"{FOLDER}/{u.rel.decode()}": u for u in corpus.units if u.ascii_name}
    seen: Counter[str] = Counter()
    unmatched = 0
    for record in records:
        source = str(record.get("source", ""))
        unit = unit_of(source, units)
        if unit is None:
            unmatched += 1
        else:
            seen[f"{FOLDER}/{unit.rel.decode()}"] += 1
        if record.get("error"):
            defects += [f"{source}: {d}" for d in error_record_defects(record, f"{FOLDER}/")]
            if len(json.dumps(record)) > MAX_ERROR_LINE:
                defects.append(f"{source}: error line of {len(json.dumps(record)):,} characters (cap {MAX_ERROR_LINE:,})")
    for name, unit in units.items():
        if seen[name] != unit.cases:
            defects.append(f"{name} ({unit.kind}): {seen[name]} output lines for {unit.cases} cases")
    expected_unmatched = sum(u.cases for u in corpus.units if not u.ascii_name)
    if unmatched != expected_unmatched:
        defects.append(f"{unmatched} output lines name no input file, expected {expected_unmatched} (non-UTF-8 names)")
    defects += judge_good(records, fmt, good)
    if fmt == "csv":
        defects += judge_formulas(records, units)
    return defects


def judge_good(records: list[dict[str, Any]], fmt: str, good: dict[str, dict[str, Any]]) -> list[str]:
    """Every good case exactly once, and identical to its line when scored alone."""
    defects = []
    by_id: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_id.setdefault(str(record.get("case_id")), []).append(record)
    for case_id, alone in good.items():
        found = by_id.get(case_id, [])
        if len(found) != 1:
            defects.append(f"good case {case_id}: {len(found)} output lines")
            continue
        mixed = found[0]
        if fmt == "jsonl":
            got = {k: v for k, v in mixed.items() if k != "source"}
            if got != alone:
                changed = sorted(k for k in set(got) | set(alone) if got.get(k) != alone.get(k))
                defects.append(f"good case {case_id}: differs from scoring it alone in {changed}")
            continue
        expected = {"urgency": alone.get("urgency") or "", "surgical_consultation": csv_flag(alone.get("surgical_consultation")),
                    "complete": csv_flag(alone.get("complete")), "fired_rules": " ".join(alone.get("fired_rules", [])),
                    "error": alone.get("error")}
        got = {k: mixed.get(k) for k in expected}
        if got != expected:
            defects.append(f"good case {case_id}: CSV row {got} differs from scoring it alone {expected}")
    return defects


def judge_formulas(records: list[dict[str, Any]], units: dict[str, Unit]) -> list[str]:
    """CSV output: no cell starts like a formula; formula-like ids are kept, prefixed with a quote (OWASP)."""
    defects = []
    for record in records:
        source = str(record.get("source", ""))
        for column, cell in record.items():
            if isinstance(cell, str) and cell.startswith(FORMULA_START):
                defects.append(f"{source}: CSV cell {column}={cell[:60]!r} starts like a spreadsheet formula")
        unit = unit_of(source, units)
        if unit is not None and unit.formula_ids and record.get("case_id") not in {"'" + i for i in unit.formula_ids}:
            defects.append(f"{source}: formula-like id written as {str(record.get('case_id'))[:60]!r}, "
                           "not as the id prefixed with a single quote")
    return defects


def test_fuzz_score_one_line_per_case_and_nothing_hostile_out(tmp_path: Path) -> None:
    """score of hostile folders: one located line per case, good cases as alone, exit 1, nothing hostile out."""
    print(f"fuzz seed {SEED}, scale {SCALE}")
    tally = Tally("score")
    for number in range(ROUNDS):
        root, corpus = build_round(tmp_path, number)
        good = baseline(root, corpus)
        tally.inputs += len(corpus.units)
        tally.cases += corpus.total
        outputs: dict[tuple[str, int], bytes] = {}
        for fmt, workers, to_file in (("jsonl", 1, True), ("jsonl", 2, False), ("csv", 1, False), ("csv", 2, True)):
            out_dir = root / f"out-{fmt}-{workers}"
            out_dir.mkdir()
            target = out_dir / f"result.{fmt}"
            args = ["score", FOLDER, "--workers", str(workers), "--format", fmt, "-q"]
            run = run_triage([*args, "-o", str(target)] if to_file else args, cwd=root, timeout=120)
            output = target.read_bytes() if to_file and target.exists() else run.stdout
            name = f"round {number} {fmt} {workers} worker(s) to {'-o' if to_file else 'stdout'}"
            tally.runs += 1
            tally.exit_codes[run.returncode] += 1
            tally.lines_out += output.count(b"\n")
            defects = judge_score(run, output, fmt, corpus, good)
            left = sorted(p.name for p in out_dir.iterdir() if p != target)
            if left:
                defects.append(f"files left beside the output: {left}")
            tally.defects += [f"{name}: {d}" for d in defects]
            outputs[(fmt, workers)] = output
        for fmt in ("jsonl", "csv"):
            if outputs[(fmt, 1)] != outputs[(fmt, 2)]:
                tally.defects.append(f"round {number} {fmt}: 1 and 2 workers give different output")
        if corpus.marker.exists():
            tally.defects.append(f"round {number}: a YAML tag ran code (created {corpus.marker})")
    tally.report()


# --- triage assess --------------------------------------------------------------------------

ONE_CASE_FILES = (".json", ".yaml", ".yml")


def judge_assess(run: Run, path: str, unit: Unit, corpus: Corpus) -> list[str]:
    """One file given to triage assess: exit 0 or 1, never 3; a located message; nothing raw on the terminal."""
    defects = list(internal_error_signs(run))
    if run.returncode not in (0, 1):
        defects.append(f"exit {run.returncode}, expected 0 or 1")
    if unit.good and run.returncode != 0:
        defects.append("a good case was not assessed")
    for what, data in (("stdout", run.stdout), ("stderr", run.stderr)):
        if (match := RAW_CONTROL.search(data)) is not None:
            defects.append(f"raw control character {match.group()!r} in {what}")
    if len(run.stderr) > MAX_ERROR_LINE:
        defects.append(f"a message of {len(run.stderr):,} bytes (cap {MAX_ERROR_LINE:,})")
    if run.returncode == 1:
        lines = run.err.splitlines()
        if not lines or not lines[0].startswith(f"triage: error: {path}"):
            defects.append(f"the message does not start by naming the file: {run.err[:200]!r}")
        for line in lines[1:]:
            if line.startswith("  - ") and (why := unlocated(path, line[4:])):
                defects.append(f"reason {line[4:160]!r}: {why}")
    return defects


def test_fuzz_assess_each_hostile_file(tmp_path: Path) -> None:
    """assess of each hostile file: exit 0 or 1 (never 3), a located message, nothing raw on the terminal."""
    print(f"fuzz seed {SEED}, scale {SCALE}")
    tally = Tally("assess")
    rng = random.Random(SEED)
    for number in range(ROUNDS):
        root, corpus = build_round(tmp_path, number)
        files = [u for u in corpus.units if u.suffix in ONE_CASE_FILES and u.link_to is None and u.ascii_name]
        for unit in rng.sample(files, min(len(files), 25)):
            path = f"{FOLDER}/{unit.rel.decode()}"
            run = run_triage(["assess", path], cwd=root, timeout=60)
            tally.inputs += 1
            tally.cases += 1
            tally.runs += 1
            tally.lines_out += run.stdout.count(b"\n") + run.stderr.count(b"\n")
            tally.exit_codes[run.returncode] += 1
            tally.defects += [f"{path} ({unit.kind}): {d}" for d in judge_assess(run, path, unit, corpus)]
        if corpus.marker.exists():
            tally.defects.append(f"round {number}: a YAML tag ran code")
    tally.report()


# --- triage interview --resume ------------------------------------------------------------------

RAW = '"@@RAW@@"'  # stands for a JSON text json.dumps cannot write (huge numbers, deep nesting, NaN, surrogates)


def hostile_value(rng: random.Random) -> tuple[Any, str | None]:
    """A value for a session field, and the raw JSON text standing for it (or None when json.dumps can write it)."""
    choices: list[tuple[Any, str | None]] = [
        (5, None), (-1, None), ("text", None), ([], None), ({}, None), (None, None), (True, None), (1.5, None),
        ([["region"]], None), ({"a": {"b": [1]}}, None), (list(range(5000)), None), ({"region": 10**30}, None),
        ("@@RAW@@", "9" * rng.randint(4400, 12000)), ("@@RAW@@", "[" * 60000 + "]" * 60000),
        ("@@RAW@@", '{"a": ' * 3000 + "1" + "}" * 3000), ("@@RAW@@", "NaN"), ("@@RAW@@", "-Infinity"),
        ("@@RAW@@", '"\\ud800"'), ("@@RAW@@", '{"\\udfff": 1}'), ("@@RAW@@", "1e99999"),
    ]
    return rng.choice(choices)


def mutate_session(rng: random.Random, base: dict[str, Any], case_text: bytes) -> tuple[str, bytes]:
    """A corrupted copy of a saved session, and what was done to it."""
    roll = rng.random()
    data = json.loads(json.dumps(base))
    if roll < 0.55:
        key = rng.choice(["answers", "history", "defaults", "format", "rules_version", "rules_hash",
                          "questionnaire_version", "saved_at"])
        value, raw = hostile_value(rng)
        if key in ("answers", "defaults") and rng.random() < 0.5 and isinstance(data.get(key), dict):
            inner = rng.choice(["region", "age", "saddle_numbness", "not_a_question", "weakness"])
            data[key][inner] = value
            what = f"{key}.{inner} = {(raw or repr(value))[:40]}"
        elif key == "history" and rng.random() < 0.5:
            data[key] = [*data.get(key, []), value]
            what = f"history + [{(raw or repr(value))[:40]}]"
        else:
            data[key] = value
            what = f"{key} = {(raw or repr(value))[:40]}"
        text = json.dumps(data, indent=2)
        return what, (text.replace(RAW, raw, 1) if raw else text).encode()
    encoded = json.dumps(data, indent=2).encode()
    if roll < 0.7:
        cut = rng.randrange(len(encoded))
        return f"truncated at byte {cut}", encoded[:cut]
    if roll < 0.8:
        flipped = bytearray(encoded)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return "bytes changed", bytes(flipped)
    whole = [("a case file", case_text), ("binary", bytes(rng.randrange(256) for _ in range(2000))),
             ("empty", b""), ("a JSON list", b"[1, 2]"), ("null", b"null"), ("not JSON", b"answers: {}\n")]
    return rng.choice(whole)


def test_fuzz_resume_corrupted_sessions(tmp_path: Path) -> None:
    """--resume of corrupted sessions: exit 0 or 1 (never 3), the file named, a refused file left as it was."""
    print(f"fuzz seed {SEED}, scale {SCALE}")
    tally = Tally("resume")
    rng = random.Random(SEED)
    (tmp_path / "answers.yaml").write_text("region: lumbar\nage: 40\n")
    (tmp_path / "none.yaml").write_text("{}\n")
    made = run_triage(["interview", "--answers", "answers.yaml", "--session", "base.json", "--format", "json"],
                      cwd=tmp_path)
    assert made.returncode == 0, made.describe()
    base = json.loads((tmp_path / "base.json").read_text())
    case_text = (Path(__file__).resolve().parents[2] / "examples" / "cauda-equina.yaml").read_bytes()
    for number in range(round(25 * SCALE)):
        what, data = mutate_session(rng, base, case_text)
        session = tmp_path / f"s{number}.json"
        session.write_bytes(data)
        run = run_triage(["interview", "--resume", session.name, "--answers", "none.yaml", "--format", "json"],
                         cwd=tmp_path, timeout=60)
        tally.inputs += 1
        tally.runs += 1
        tally.exit_codes[run.returncode] += 1
        tally.lines_out += run.stdout.count(b"\n") + run.stderr.count(b"\n")
        defects = list(internal_error_signs(run))
        if run.returncode not in (0, 1):
            defects.append(f"exit {run.returncode}, expected 0 or 1")
        if run.returncode == 1:
            if not run.err.startswith(f"triage: error: {session.name}"):
                defects.append(f"the message does not start by naming the file: {run.err[:160]!r}")
            if session.read_bytes() != data:
                defects.append("a refused session file was changed")
        if what == "a case file" and (run.returncode != 1 or "(char " in run.err
                                      or not re.search(r"not a saved|case file", run.err)):
            defects.append(f"a case file is not named as such: {run.err[:200]!r}")
        tally.defects += [f"session {number} ({what}): {d}" for d in defects]
    tally.report()

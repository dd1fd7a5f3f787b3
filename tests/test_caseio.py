"""Loading case files: every problem in a file reported at once, naming the file, the field and the reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from triage.cases import load_case
from triage.errors import CaseError


def problems_of(path: Path) -> tuple[str, list[str]]:
    with pytest.raises(CaseError) as caught:
        load_case(path)
    return caught.value.summary, caught.value.problems


def test_every_problem_in_a_case_is_reported_at_once(tmp_path: Path) -> None:
    """Unknown field (with a suggestion), wrong types and out-of-range values all come in one error."""
    path = tmp_path / "bad.json"
    path.write_text('{"id": "c1", "agee": 40, "pain_score": 12, "night_pain": "maybe", "region": "leg", '
                    '"age": 30.5, "weakness": 1, "duration_days": -1}')
    summary, problems = problems_of(path)
    assert summary == f"{path} (case 'c1'): 7 problems in this case"
    assert sorted(problems) == sorted([
        "field 'agee': unknown field (did you mean 'age'?)",
        "field 'pain_score': 12 is out of range: must be at most 10",
        "field 'night_pain': expected a yes/no answer written true or false, got 'maybe'",
        "field 'region': 'leg' is not one of 'lumbar', 'cervical' or 'thoracic'",
        "field 'age': expected a whole number, got 30.5",
        "field 'weakness': 1 is not one of 'none', 'stable' or 'progressive'",
        "field 'duration_days': -1 is out of range: must be at least 0",
    ])


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.json", b'{"age": 40,', "not valid JSON: line 1, column 12: Expecting property name enclosed in double quotes"),
        ("broken.yaml", b"age: 40\nregion: [lumbar\n", "not valid YAML: line 3, column 1: expected ',' or ']', but got '<stream end>'"),
        ("empty.json", b"", "the file is empty"),
        ("blank.yaml", b"  \n\n", "the file is empty"),
        ("junk.json", b"\x89PNG\x00\x01\x02", "this is not a text file: a NUL byte on line 1"),
        ("latin1.json", b'{"description": "caf\xe9"}', "not UTF-8 text: line 1, column 21: the byte 0xe9 cannot be decoded"),
        ("dup.yaml", b"age: 40\nage: 41\n", "not valid YAML: line 2, column 1: the key 'age' appears twice in one mapping"),
        ("dup.json", b'{"age": 40, "age": 41}', "not valid JSON: the key 'age' appears twice in one object"),
        ("list.yaml", b"- age: 40\n", "a case is a mapping of question names to answers, but the file holds a list"),
        ("scalar.yaml", b"hello\n", "a case is a mapping of question names to answers, but the file holds a str"),
    ],
)
def test_unreadable_case_files(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    """Malformed, empty, binary, wrongly encoded and non-mapping files each give one located reason."""
    path = tmp_path / name
    path.write_bytes(content)
    assert problems_of(path) == (f"{path}: cannot read this case", [problem])


def test_missing_file(tmp_path: Path) -> None:
    """A file that does not exist is named with the system's reason."""
    assert problems_of(tmp_path / "nope.json") == (f"{tmp_path / 'nope.json'}: cannot read this case",
                                                    ["No such file or directory"])


def test_yaml_and_json_give_the_same_case(tmp_path: Path) -> None:
    """The same answers in YAML and JSON load to the same case; the id defaults to the file name."""
    (tmp_path / "a.yaml").write_text("age: 40\nregion: lumbar\nnight_pain: yes\n")
    (tmp_path / "a.json").write_text('{"age": 40, "region": "lumbar", "night_pain": true}')
    from_yaml, from_json = load_case(tmp_path / "a.yaml"), load_case(tmp_path / "a.json")
    assert from_yaml == from_json
    assert from_yaml.id == "a" and from_yaml.night_pain is True


def test_null_is_unknown(tmp_path: Path) -> None:
    """A null answer is unknown, exactly like a missing one."""
    (tmp_path / "n.json").write_text('{"age": 40, "night_pain": null}')
    assert load_case(tmp_path / "n.json").answers() == {"age": 40}


def test_strings_are_not_numbers_or_booleans(tmp_path: Path) -> None:
    """No silent coercion: "40" is not a number and 1 is not yes (durable_rules would equate them)."""
    (tmp_path / "s.json").write_text('{"age": "40", "fever": 1}')
    _, problems = problems_of(tmp_path / "s.json")
    assert problems == ["field 'age': expected a whole number, got '40'",
                        "field 'fever': expected a yes/no answer written true or false, got 1"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """'-' reads one case from standard input, JSON or YAML."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"age: 61\nregion: thoracic\n")))
    case = load_case("-")
    assert (case.id, case.age, case.region) == ("stdin", 61, "thoracic")


def test_choice_errors_suggest_the_right_value(tmp_path: Path) -> None:
    """A wrongly cased choice gets a suggestion; an unquoted YAML yes for a choice is named as a yes/no answer."""
    (tmp_path / "c.yaml").write_text("region: Lumbar\nweakness: yes\n")
    _, problems = problems_of(tmp_path / "c.yaml")
    assert problems == [
        "field 'region': 'Lumbar' is not one of 'lumbar', 'cervical' or 'thoracic' (did you mean 'lumbar'?)",
        "field 'weakness': expected one of 'none', 'stable' or 'progressive', got a yes/no answer (true)",
    ]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("huge.json", '{"age": ' + "9" * 5000 + "}",
         "not valid JSON: field 'age': a number of 5,000 digits is too long (at most 4,300)"),
        ("deep.json", "[" * 100_000 + "]" * 100_000,
         "not valid JSON: line 1, column 101: lists or objects nested too deeply"),
        ("deep-field.json", '{"id": "x",\n "description": ' + "[" * 100_000 + "]" * 100_000 + "}",
         "not valid JSON: field 'description', line 2, column 116: lists or objects nested too deeply"),
        ("deep.yaml", "id: x\ndescription: " + "[" * 100_000 + "]" * 100_000 + "\n",
         "not valid YAML: field 'description', line 2, column 114: lists or mappings nested too deeply"),
        ("huge.yaml", "age: " + "9" * 5000 + "\n",
         "not valid YAML: field 'age' (line 1): a number of 5,000 digits is too long (at most 4,300)"),
        ("escape.yaml", "id: x\x1b[31m\n", "not valid YAML: line 1, column 6: the character \\x1b is not allowed "
                                             "(a control character)"),
        ("key.yaml", "? [a, b]\n: 1\n", "not valid YAML: line 1, column 3: a key must be a name, not a list or mapping"),
        ("surrogate.json", '{"id": "\\ud800"}', "field 'id': contains an invalid character (a lone surrogate)"),
    ],
)
def test_pathological_input_is_a_case_error(tmp_path: Path, name: str, content: str, problem: str) -> None:
    """Huge numbers, deep nesting, unhashable keys and invalid characters are reported with their field or line."""
    path = tmp_path / name
    path.write_text(content)
    assert problems_of(path) == (f"{path}: cannot read this case", [problem])


def test_yaml_merge_keys_work(tmp_path: Path) -> None:
    """A YAML merge key (<<) merges answers instead of failing."""
    (tmp_path / "m.yaml").write_text("<<: {age: 40, region: lumbar}\nfever: true\n")
    assert load_case(tmp_path / "m.yaml").answers() == {"age": 40, "region": "lumbar", "fever": True}


@pytest.mark.parametrize(("text", "words"), [
    ('{"id": "c1', "line 1, column 8: Unterminated string"),
    ('{"id": "c1\u0001"}', "line 1, column 11: Invalid control character"),
])
def test_a_json_syntax_error_says_where_once(tmp_path: Path, text: str, words: str) -> None:
    """json's own words end in 'at' before the place it appends; the message gives the place once, not '... at'."""
    path = tmp_path / "broken.json"
    path.write_text(text)
    summary, problems = problems_of(path)
    assert problems == [f"not valid JSON: {words}"], (summary, problems)

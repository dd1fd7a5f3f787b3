"""``triage interview --resume`` on corrupted session files, in a terminal (issue 11): exit 1 with a clear message.

A session file that cannot be resumed is bad input: exit 1 before any question, a message that
starts ``triage: error: FILE`` and says what is wrong with which part (history, defaults,
answers), never a Python exception's text; the file is left as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import EXAMPLES, TRACEBACK, run_in_pty, run_triage


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real session saved by a scripted interview, as parsed JSON."""
    folder = tmp_path_factory.mktemp("session")
    (folder / "a.yaml").write_text("region: lumbar\nage: 40\n")
    run = run_triage(["interview", "--answers", "a.yaml", "--session", "s.json"], cwd=folder)
    assert run.returncode == 0, run.describe()
    data: dict[str, Any] = json.loads((folder / "s.json").read_text())
    return data


def changed(saved: dict[str, Any], **fields: Any) -> str:
    """The saved session with ``fields`` replaced, as JSON text."""
    return json.dumps({**saved, **fields}, indent=2)


def raw(saved: dict[str, Any], field: str, text: str) -> str:
    """The saved session with ``field`` holding the raw JSON ``text`` (numbers and nesting json.dumps cannot write)."""
    return changed(saved, **{field: "@@RAW@@"}).replace('"@@RAW@@"', text, 1)


CORRUPTIONS: list[Any] = [
    pytest.param(lambda s: changed(s, history=5), "history", id="history-int"),
    pytest.param(lambda s: changed(s, history=[["region"]]), "history", id="history-nested-lists"),
    pytest.param(lambda s: changed(s, history=None), "history", id="history-null"),
    pytest.param(lambda s: changed(s, defaults=[1, 2]), "defaults", id="defaults-list"),
    pytest.param(lambda s: changed(s, defaults="x"), "defaults", id="defaults-text"),
    pytest.param(lambda s: changed(s, answers=["region"]), "answers", id="answers-list"),
    pytest.param(lambda s: raw(s, "answers", '{"age": ' + "9" * 5000 + "}"), "answers", id="answers-5000-digits"),
    pytest.param(lambda s: raw(s, "defaults", '{"age": ' + "9" * 5000 + "}"), "defaults", id="defaults-5000-digits"),
    pytest.param(lambda s: raw(s, "history", "[" * 100_000 + "]" * 100_000), "history", id="history-deep"),
    pytest.param(lambda s: raw(s, "defaults", '{"a": ' * 5000 + "1" + "}" * 5000), "defaults", id="defaults-deep"),
    pytest.param(lambda s: raw(s, "defaults", "NaN"), "defaults", id="defaults-nan"),
    pytest.param(lambda s: json.dumps(s)[:60], "line 1", id="truncated"),
    pytest.param(lambda s: bytes(range(256)) * 8, None, id="binary"),
    pytest.param(lambda s: "", "empty", id="empty"),
    pytest.param(lambda s: (EXAMPLES / "cauda-equina.yaml").read_text(), "not a saved", id="a-case-file-yaml"),
    pytest.param(lambda s: (EXAMPLES / "neck-partial.json").read_text(), "not a saved", id="a-case-file-json"),
]


@pytest.mark.parametrize(("make", "says"), CORRUPTIONS)
def test_resume_of_a_corrupted_session_is_a_clear_error(tmp_path: Path, saved: dict[str, Any], make: Any,
                                                        says: str | None) -> None:
    """--resume of a corrupted session exits 1 before any question, saying what is wrong, the file unchanged."""
    data = make(saved)
    session = tmp_path / "s.json"
    session.write_bytes(data if isinstance(data, bytes) else data.encode())
    before = session.read_bytes()
    shown = run_in_pty(["interview", "--resume", "s.json"], cwd=tmp_path, timeout=30)
    text = shown.text
    assert shown.exitstatus == 1, text[-600:]
    assert TRACEBACK.decode() not in text and "internal error" not in text, text[-600:]
    assert "triage: error: s.json" in text, text[-600:]
    assert "(char " not in text, f"JSON decoder jargon: {text[-400:]}"
    assert "Where is your main pain" not in text and "[1/" not in text, "a question was asked"
    if says:
        assert says in text, f"the message does not say {says!r}: {text[-400:]}"
    assert session.read_bytes() == before

"""Rule files -> a validated, cross-checked ``RuleBase``, every problem in every file reported at once.

Everything is read with safe YAML loading and validated by pydantic with unknown keys as
errors. Each problem is located by file and line, rule id and key path:
``soon.yaml:23: rule 'night-pain': when.all[0].gt: 'gt' needs a value, not null``.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .. import files
from ..errors import RuleBaseError
from ..files import RULE_FILE_LIMIT, Lines, SyntaxProblem, TooLarge, decode, parse_yaml_lines, read_capped
from ..validation import display_path, format_location, located_messages, suggest
from .checks import cross_checks
from .conditions import CONDITION_KEYS, NODE_TAGS
from .rulebook import (
    META_FILE,
    Acknowledgment,
    IncompleteText,
    LevelText,
    LocatedRule,
    Rule,
    RuleBase,
    RuleBaseMeta,
    Text,
)

RULE_FILE_PATTERNS = ("*.yaml", "*.yml")

M = TypeVar("M", bound=BaseModel)

#: Every key a rule file or rulebase.yaml may use, for "did you mean" hints.
_KNOWN_KEYS = sorted(
    {*CONDITION_KEYS, "rules"}
    | set(Rule.model_fields) | set(RuleBaseMeta.model_fields) | set(LevelText.model_fields)
    | set(IncompleteText.model_fields) | set(Acknowledgment.model_fields) | set(Text.model_fields)
)


def bundled_rules_dir() -> Path:
    """The rule folder shipped inside the package."""
    return Path(str(resources.files("triage") / "data" / "rules"))


def content_hash(files: dict[str, str]) -> str:
    """SHA-256 of the rule files' names and contents, independent of the folder they live in.

    Names are hashed as the bytes the file system holds (``os.fsencode``): a name that is
    not UTF-8 (its bytes kept as surrogate escapes) hashes like any other.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(os.fsencode(name) + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def _read(folder: Path) -> tuple[dict[str, str], list[str]]:
    problems: list[str] = []
    if not folder.is_dir():
        return {}, [f"{display_path(folder)}: not a folder of rule files"]
    texts = {}
    for path in sorted(p for pattern in RULE_FILE_PATTERNS for p in folder.glob(pattern)):
        try:
            texts[path.name] = decode(read_capped(path, RULE_FILE_LIMIT, "rule file"))
        except OSError as exc:
            problems.append(f"{display_path(path.name)}: cannot read: {exc.strerror or exc}")
        except (TooLarge, SyntaxProblem) as exc:
            problems.append(f"{display_path(path.name)}: {exc}")
    if META_FILE not in texts and not problems:
        problems.append(f"{META_FILE}: missing (it holds the version, sources, criteria and level texts)")
    if len(texts) <= 1 and not problems:
        problems.append(f"{display_path(folder)}: no rule files (*.yaml besides {META_FILE})")
    return texts, problems


def _validate(model: type[M], data: Any, file: str, lines: Lines, prefix: tuple[Any, ...] = (),
              label: str = "") -> tuple[M | None, list[str]]:
    """Validate data against a model; each problem names the file and line, the rule (when given) and the key."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for loc, reason in located_messages(exc, skip=NODE_TAGS):
            if reason == "must not be empty" and _value_at(data, loc):
                continue  # pydantic's echo on a list whose items failed: the items' own errors say why
            if loc and reason.startswith("unknown field"):
                reason = f"unknown key{suggest(str(loc[-1]), _KNOWN_KEYS)}"
            line = lines.of((*prefix, *loc))
            parts = [f"{file}:{line}" if line else file, label, format_location(loc)]
            problems.append(": ".join(p for p in parts if p) + f": {reason}")
        return None, problems


def _rule_file(data: Any, file: str, lines: Lines) -> tuple[list[LocatedRule], list[str]]:
    """The valid rules of one file, and a located problem for each invalid one (rules are checked one by one)."""
    if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list) or not data["rules"]:
        return [], [f"{file}: a rule file holds one key, 'rules', with a list of rules"]
    located, problems = [], []
    for number, item in enumerate(data["rules"], 1):
        rule_id = item.get("id") if isinstance(item, dict) else None
        label = f"rule '{rule_id}'" if isinstance(rule_id, str) else f"rule #{number}"
        rule, found = _validate(Rule, item, file, lines, ("rules", number - 1), label)
        problems += found
        if rule is not None:
            line = lines.by_path.get(("rules", number - 1, "id")) or lines.of(("rules", number - 1)) or 1
            located.append(LocatedRule(rule, file, line))
    return located, problems


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    """The raw value at a location, or None when the location does not exist."""
    for part in loc:
        if not isinstance(data, dict | list) or not _has(data, part):
            return None
        data = data[part]
    return data


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)  # libyaml's parser, when PyYAML was built with it
if _CSafeLoader is not None:
    class _UniqueKeyCLoader(_CSafeLoader):  # type: ignore[misc]
        """``files``' safe loader (duplicate keys refused) on libyaml's parser: the same documents, 10x faster."""

    _UniqueKeyCLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, files._construct_mapping)


def parse_rule_yaml(text: str) -> tuple[Any, Lines]:
    """``files.parse_yaml_lines`` through libyaml when it is there (rule files are read at every start).

    The same safe constructors build the same data with the same line of every key; anything
    the fast reading refuses is read again the pure-Python way, which gives the message.
    """
    if _CSafeLoader is None:
        return parse_yaml_lines(text)
    loader = _UniqueKeyCLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        lines = files._lines(node)
    except Exception:  # noqa: BLE001 - the pure-Python reading decides, and says why
        return parse_yaml_lines(text)
    finally:
        loader.dispose()
    return data, lines


def load_rulebase(folder: str | Path | None = None) -> RuleBase:
    """Load and check the rule files in ``folder`` (default: the bundled rules).

    Raises ``RuleBaseError`` listing every problem found, each located by file and line, rule id and key.
    """
    folder = Path(folder) if folder is not None else bundled_rules_dir()
    texts, problems = _read(folder)
    key = (str(folder), content_hash(texts))
    if not problems and key in _LOADED:  # the same files read before: checked then (loading takes tens of ms)
        return _LOADED[key]
    meta: RuleBaseMeta | None = None
    meta_lines = Lines()
    located: list[LocatedRule] = []
    for raw_name, text in texts.items():
        name = display_path(raw_name)  # a name that is not UTF-8 is shown with its bytes escaped (x\xff.yaml)
        try:
            data, lines = parse_rule_yaml(text)
        except SyntaxProblem as exc:
            problems.append(f"{name}: {exc}")
            continue
        if raw_name == META_FILE:
            meta, found = _validate(RuleBaseMeta, data, name, lines)
            meta_lines = lines
        else:
            valid, found = _rule_file(data, name, lines)
            located += valid
        problems += found
    if meta is not None:
        # After schema errors some rules are missing: skip the checks that need all of them.
        problems += cross_checks(meta, located, meta_lines, every_rule_valid=not problems)
    if problems or meta is None:
        noun = "problem" if len(problems) == 1 else "problems"
        raise RuleBaseError(f"rule base {display_path(folder)}: {len(problems)} {noun}", problems)
    rulebase = _LOADED[key] = RuleBase(meta=meta, located=tuple(located), content_hash=key[1], folder=str(folder))
    return rulebase


#: The rule bases loaded in this process, by folder and content (a rule base is immutable).
_LOADED: dict[tuple[str, str], RuleBase] = {}

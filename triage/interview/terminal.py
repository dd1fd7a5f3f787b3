"""The interview at a terminal: each question asked with prompt_toolkit, with Not sure and Back.

No answer is ever chosen for the person: a new question starts with the pointer on no
option, and Enter does nothing until an answer is chosen (with its key, y / n / ? or the
number of a choice, or with the arrow keys). After Back, the earlier answer ("Not sure"
included) is shown chosen. A number question starts empty; an empty Enter is refused too,
and "?" is "not sure". Every text is wrapped at the terminal's width between words
(questionary, which the first version used, always points at an option, and prompt_toolkit
wraps long lines at any character).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from prompt_toolkit.application import Application, get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import (
    BufferControl,
    ConditionalContainer,
    FormattedTextControl,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.styles import Style

from .questionnaire import NOT_SURE, Question
from .runner import BACK, NOTHING_BEFORE, Prompt

#: The widest the text runs, however wide the terminal (a readable measure).
MAX_WIDTH = 88

_STYLE = Style.from_dict({
    "section": "bold",
    "progress": "ansibrightblack",
    "question": "bold",
    "pointer": "reverse",
    "key": "bold",
    "answer": "bold ansicyan",
    "error": "bold ansired",
    "hint": "",
})


@dataclass(frozen=True)
class Option:
    """One answer offered: the key that chooses it, its words, and the value recorded."""

    key: str
    title: str
    value: Any


def options_for(question: Question) -> list[Option]:
    """The answers a yes/no or choice question offers, Not sure and Back included, each with its key."""
    if question.type == "yes_no":
        options = [Option("y", "Yes", True), Option("n", "No", False)]
    else:
        options = [Option(str(n), o.label, o.value) for n, o in enumerate(question.choices, 1)]
    return [*options, Option("?", "Not sure", NOT_SURE), Option("b", "Back to the previous question", BACK)]


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """Lines of at most ``width`` characters, broken only between words."""
    return textwrap.wrap(text, max(width, 20), initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [""]


def terminal_width(columns: int) -> int:
    """The width to wrap at in a terminal of ``columns`` columns (one spare, so no line touches the edge)."""
    return max(min(columns - 1, MAX_WIDTH), 20)


def progress_text(prompt: Prompt) -> str:
    """The question's number and how many are still to come, as the answers stand ("about": they can change)."""
    if prompt.remaining == 0:
        return f"Question {prompt.number}: the last one, as things stand"
    more = "1 more question" if prompt.remaining == 1 else f"{prompt.remaining} more questions"
    return f"Question {prompt.number}: about {more} to go"


class _Asking:
    """The state of one question on screen: where the pointer is, what was typed, what to tell the person."""

    def __init__(self, prompt: Prompt):
        self.prompt = prompt
        self.question = prompt.question
        self.options = options_for(self.question) if self.question.type != "number" else []
        self.pointer: int | None = None
        self.message: tuple[str, str] | None = None  # (style, text) shown under the options
        self.answer_words: str | None = None  # set when answered: the final screen shows it
        if prompt.has_default and self.options:
            self.pointer = next((n for n, o in enumerate(self.options) if o.value == prompt.default), None)

    def keys_hint(self) -> str:
        back = "; b goes back" if self.prompt.can_go_back else ""
        if self.question.type == "yes_no":
            return f"Press y for yes, n for no or ? if you are not sure, then Enter. Arrow keys work too{back}."
        last = self.options[-3].key
        return (f"Press the number of your answer (1 to {last}) or ? if you are not sure, then Enter. "
                f"Arrow keys work too{back}.")

    def number_hint(self) -> str:
        q = self.question
        back = ", or b to go back" if self.prompt.can_go_back else ""
        return f"Type a number from {q.minimum} to {q.maximum} and press Enter; type ? if you are not sure{back}."

    def render(self, width: int) -> StyleAndTextTuples:
        lines: list[tuple[str, str]] = []
        prompt = self.prompt
        if prompt.section_starts:
            lines += [("class:section", line) for line in wrap(prompt.section.title, width)]
            if prompt.section.intro:
                lines += [("", line) for line in wrap(prompt.section.intro, width)]
            lines.append(("", ""))
        if prompt.notice:
            lines += [("class:error", line) for line in wrap(prompt.notice, width)]
        lines += [("class:progress", line) for line in wrap(progress_text(prompt), width)]
        lines += [("class:question", line) for line in wrap(self.question.text, width, "  ", "? ")]
        if self.question.help:
            lines += [("", line) for line in wrap(f"({self.question.help})", width, "   ", "  ")]
        if self.answer_words is not None:
            lines += [("class:answer", line) for line in wrap(self.answer_words, width, "    ", "  → ")]
            return _tuples(lines)
        if self.options:
            lines.append(("", ""))
            for n, option in enumerate(self.options):
                chosen = n == self.pointer
                marker = "  ▸ " if chosen else "    "
                for line in wrap(option.title, width, " " * 7, f"{marker}{option.key:<3}"):
                    lines.append(("class:pointer" if chosen else "", line))
            lines.append(("", ""))
            hint = self.keys_hint()
        else:
            hint = self.number_hint()
        style, text = self.message if self.message else ("class:hint", hint)
        lines += [(style, line) for line in wrap(text, width, "  ")]
        return _tuples(lines)


def _tuples(lines: list[tuple[str, str]]) -> StyleAndTextTuples:
    result: StyleAndTextTuples = []
    for style, text in lines:
        result += [(style, text), ("", "\n")]
    return result[:-1] if result else result


class TerminalPrompter:
    """Asks each question in the terminal; ``input``/``output`` let tests drive it through a pipe."""

    def __init__(self, input: Any = None, output: Any = None):  # noqa: A002 - prompt_toolkit's names
        self._io = {k: v for k, v in (("input", input), ("output", output)) if v is not None}

    def ask(self, prompt: Prompt) -> Any:
        """Ask one question; Ctrl-C (or Ctrl-D) raises KeyboardInterrupt, never taken as an answer."""
        asking = _Asking(prompt)
        bindings = KeyBindings()

        @bindings.add("c-c")
        @bindings.add("c-d")
        def _interrupt(event: KeyPressEvent) -> None:
            event.app.exit(exception=KeyboardInterrupt())

        text = Window(FormattedTextControl(lambda: asking.render(_width())), wrap_lines=True, dont_extend_height=True)
        if asking.options:
            self._bind_choices(asking, bindings)
            body: list[Any] = [text]
        else:
            buffer = Buffer(multiline=False)
            if prompt.has_default:
                buffer.text = "?" if prompt.default is None else str(prompt.default)
                buffer.cursor_position = len(buffer.text)
            self._bind_number(asking, bindings, buffer)
            typing = ConditionalContainer(_input_line(buffer), filter=Condition(lambda: asking.answer_words is None))
            body = [text, typing]
        app: Application[Any] = Application(layout=Layout(HSplit(body)), key_bindings=bindings, style=_STYLE,
                                            erase_when_done=False, **self._io)
        return app.run()

    @staticmethod
    def _bind_choices(asking: _Asking, bindings: KeyBindings) -> None:
        options = asking.options

        def choose(index: int) -> None:
            asking.pointer = index
            option = options[index]
            asking.message = ("class:hint", f"Press Enter to answer “{option.title}”, or choose another answer.")

        for index, option in enumerate(options):
            for key in {option.key, option.key.upper()}:
                bindings.add(key)(lambda event, index=index: choose(index))

        @bindings.add("down")
        @bindings.add("tab")
        def _down(event: KeyPressEvent) -> None:
            choose(0 if asking.pointer is None else (asking.pointer + 1) % len(options))

        @bindings.add("up")
        @bindings.add("s-tab")
        def _up(event: KeyPressEvent) -> None:
            choose(len(options) - 1 if asking.pointer is None else (asking.pointer - 1) % len(options))

        @bindings.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            if asking.pointer is None:
                asking.message = ("class:error", "No answer is chosen yet. " + asking.keys_hint())
                return
            option = options[asking.pointer]
            if option.value is BACK and not asking.prompt.can_go_back:
                asking.message = ("class:error", f"{NOTHING_BEFORE} " + asking.keys_hint())
                return
            asking.answer_words = option.title
            event.app.exit(result=option.value)

        @bindings.add("<any>")
        def _other(event: KeyPressEvent) -> None:
            asking.message = ("class:error", "That key is not an answer. " + asking.keys_hint())

    @staticmethod
    def _bind_number(asking: _Asking, bindings: KeyBindings, buffer: Buffer) -> None:
        question = asking.question

        @bindings.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            text = buffer.text.strip().lower()
            if text in ("b", "back") and not asking.prompt.can_go_back:
                asking.message = ("class:error", f"{NOTHING_BEFORE} {asking.number_hint()}")
            elif text in ("b", "back"):
                asking.answer_words = "Back to the previous question"
                event.app.exit(result=BACK)
            elif text == "?":
                asking.answer_words = "Not sure"
                event.app.exit(result=NOT_SURE)
            elif text.isdigit() and question.minimum <= int(text) <= question.maximum:  # type: ignore[operator]
                asking.answer_words = str(int(text))
                event.app.exit(result=int(text))
            else:
                said = "No number is typed yet." if not text else f"“{buffer.text.strip()[:20]}” is not an answer."
                asking.message = ("class:error", f"{said} Please type a whole number from {question.minimum} to "
                                                 f"{question.maximum}, or ? if you are not sure.")


def _width() -> int:
    return terminal_width(get_app().output.get_size().columns)


def _input_line(buffer: Buffer) -> VSplit:
    label = "  Your answer: "
    return VSplit([Window(FormattedTextControl([("class:key", label)]), width=Dimension.exact(len(label)), height=1),
                   Window(BufferControl(buffer), height=1)], height=1)

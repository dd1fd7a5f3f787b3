"""The interview at a terminal: each question asked with questionary, with Not sure and Back."""

from __future__ import annotations

from typing import Any

from .questionnaire import NOT_SURE, Question
from .runner import BACK


class TerminalPrompter:
    """Asks each question with questionary; ``input``/``output`` let tests drive it through a pipe."""

    NOT_SURE_TITLE = "Not sure"
    BACK_TITLE = "<- Back to the previous question"

    def __init__(self, input: Any = None, output: Any = None):  # noqa: A002 - prompt_toolkit's names
        self._io = {k: v for k, v in (("input", input), ("output", output)) if v is not None}

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        """Ask one question; Ctrl-C raises KeyboardInterrupt (never taken as an answer)."""
        import questionary

        answered, total = progress
        header = f"[{answered + 1}/{total}] {section_title}"
        message = f"{header}\n  {question.text}"
        if question.help:
            message += f"\n  ({question.help})"
        if question.type == "number":
            return self._ask_number(questionary, question, message, default)
        options: list[tuple[str, Any]]
        if question.type == "yes_no":
            options = [("Yes", True), ("No", False)]
        else:
            options = [(o.label, o.value) for o in question.choices]
        choices = [questionary.Choice(title, value=value) for title, value in options]
        choices.append(questionary.Choice(self.NOT_SURE_TITLE, value="__not_sure__"))
        choices.append(questionary.Choice(self.BACK_TITLE, value=BACK))
        selected = next((c for c in choices if c.value == default), None) if default is not None else None
        reply = questionary.select(message, choices=choices, default=selected, qmark="?",
                                   instruction="(use the arrow keys, then Enter)", **self._io).unsafe_ask()
        return NOT_SURE if reply == "__not_sure__" else reply

    def _ask_number(self, questionary: Any, question: Question, message: str, default: Any) -> Any:
        low, high = question.minimum, question.maximum

        def valid(text: str) -> Any:
            text = text.strip().lower()
            if text in ("", "?", "b", "back"):
                return True
            if not text.isdigit():
                return f"Please type a whole number from {low} to {high}, or leave it empty if you are not sure"
            return True if low <= int(text) <= high else f"Please type a number from {low} to {high}"  # type: ignore[operator]

        instruction = f"(a number from {low} to {high}; leave empty if you are not sure; type b to go back)"
        text = questionary.text(message, default="" if default is None else str(default), validate=valid,
                                instruction=instruction, qmark="?", **self._io).unsafe_ask()
        text = text.strip().lower()
        if text in ("b", "back"):
            return BACK
        return NOT_SURE if text in ("", "?") else int(text)

"""All rule-engine work of one service process, on one thread that owns the engine.

durable_rules is not thread-safe, and its C core never releases the interpreter lock, so
a pool of threads would gain nothing and risk everything. Each service process (each
uvicorn worker) builds its own engine on its own engine thread, and every call that may
reach the engine (assessing a case, a line of a batch, a QuestionnaireResponse, an
interview's answers) is submitted to that thread with ``await engine.run(fn, ...)``. The
engine refuses to run on any other thread (``ThreadBoundEngine``), so a mistake here is an
error, never a silent race.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from triage.assess.assessor import Assessor
from triage.engines import ChainResult, Engine, EngineName, create_engine
from triage.errors import EngineError
from triage.language.loading import load_rulebase

T = TypeVar("T")


class ThreadBoundEngine:
    """An engine usable only from the thread that created it."""

    def __init__(self, inner: Engine):
        self._inner = inner
        self._owner = threading.get_ident()

    def _check(self) -> None:
        if threading.get_ident() != self._owner:
            raise EngineError(f"the rule engine belongs to thread {self._owner} but was called from thread "
                              f"{threading.get_ident()}")

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Chain on the owning thread; any other thread gets ``EngineError``."""
        self._check()
        return self._inner.chain(answers)

    def close(self) -> None:
        """Free the engine, on the owning thread."""
        self._check()
        self._inner.close()


class EngineThread:
    """One thread that owns this process's assessor; ``run`` submits work to it."""

    def __init__(self, rules_dir: str | None = None, engine: EngineName = "durable"):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-engine")
        self.rulebase = load_rulebase(rules_dir)
        self._assessor: Assessor = self._executor.submit(self._build, engine).result()

    def _build(self, engine: EngineName) -> Assessor:
        return Assessor(self.rulebase, engine=ThreadBoundEngine(create_engine(engine, self.rulebase)))

    @property
    def assessor(self) -> Assessor:
        """The assessor: use it only inside a function given to ``run`` (or ``run_sync``)."""
        return self._assessor

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` on the engine thread and return its result (or raise its exception)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args))

    def run_sync(self, function: Callable[..., T], *args: Any) -> T:
        """The same from synchronous code (waits for the engine thread)."""
        return self._executor.submit(function, *args).result()

    def close(self) -> None:
        """Finish the work already submitted, free the engine, then stop the thread."""
        self._executor.submit(self._assessor.close).result()
        self._executor.shutdown(wait=True)

"""``POST /v1/score``: JSON Lines in and out, streamed, as an ASGI response of its own.

The request body is read by one task, line by line, while the lines already read are
scored on the engine thread and written back in order. Reading never waits for writing,
so a client that sends its whole body before it reads the answer cannot deadlock the two
(the body is bounded by the score limit). Each line becomes a ``Record`` and is scored by
``batch.score_record``, exactly as ``triage score`` scores a line of a ``.jsonl`` file.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Union

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from triage.assess.assessor import Assessor
from triage.batch.inputs import Record
from triage.batch.scoring import error_line, score_record
from triage.files import SyntaxProblem, decode

from .engine_thread import EngineThread

_END = object()
_BATCH = 64
Item = Union[Record, str, object]  # a record to score, a ready error line, or _END


def score_lines(assessor: Assessor, items: list[Union[Record, str]]) -> bytes:
    """Score a batch of records (on the engine thread); ready error lines pass through."""
    lines = [item if isinstance(item, str) else score_record(assessor, item).json_line for item in items]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _record(raw: bytes, number: int) -> Record:
    where = f"request:{number}"
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return Record(where, where, text=decode(raw.rstrip(b"\r")), suffix=".jsonl")
    except SyntaxProblem as exc:
        return Record(where, where, error=str(exc))


class ScoreStream(Response):
    """The streamed response of ``/v1/score`` (it reads the request body itself)."""

    media_type = "application/x-ndjson"

    def __init__(self, engine: EngineThread, max_line: int, max_body: int):
        super().__init__()
        self.engine = engine
        self.max_line = max_line
        self.max_body = max_body

    async def _read(self, receive: Receive, queue: asyncio.Queue[Item]) -> None:
        """Split the body into records as it arrives; put ``_END`` last."""
        pending = bytearray()
        overlong = False  # the line being read is over the limit: skip to its end
        number = total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body:
                await queue.put(json.dumps({"case_id": None, "source": "request", "error": (
                    f"the request body is over the limit of {self.max_body} bytes: the rest was not read")}))
                break
            lines = chunk.split(b"\n")
            for index, part in enumerate(lines):
                if not overlong:
                    pending += part
                    if len(pending) > self.max_line:  # stop keeping it: only its end is looked for
                        overlong, pending = True, bytearray()
                if index == len(lines) - 1:
                    break  # the rest of this line comes in the next chunk
                number += 1
                await self._line(queue, pending, number, overlong)
                pending, overlong = bytearray(), False
            if not message.get("more_body", False):
                if pending.strip() or overlong:
                    number += 1
                    await self._line(queue, pending, number, overlong)
                break
        await queue.put(_END)

    async def _line(self, queue: asyncio.Queue[Item], raw: bytearray, number: int, overlong: bool) -> None:
        if overlong:
            where = f"request:{number}"
            await queue.put(error_line(where, where, f"the line is over the limit of {self.max_line} bytes").json_line)
        elif raw.strip():
            await queue.put(_record(bytes(raw), number))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        queue: asyncio.Queue[Item] = asyncio.Queue()
        reader = asyncio.create_task(self._read(receive, queue))
        try:
            first = await queue.get()
            if first is _END:
                body = json.dumps({"error": "the request body is empty: send one case (JSON) per line",
                                   "problems": []}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/x-ndjson")]})
            batch: list[Any] = [first]
            done = False
            while not done:
                while len(batch) < _BATCH and not queue.empty():
                    batch.append(queue.get_nowait())
                if _END in batch:
                    batch, done = batch[:batch.index(_END)], True
                if batch:
                    output = await self.engine.run(score_lines, self.engine.assessor, batch)
                    await send({"type": "http.response.body", "body": output, "more_body": True})
                if not done:
                    batch = [await queue.get()]
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            reader.cancel()

"""Scoring jobs that are only descriptions: a byte range of a JSON Lines or CSV file, or a list of case files.

The main process cuts the inputs into jobs (``plan_jobs``) without parsing them: a large
JSON Lines or CSV file is cut at line ends about every ``JOB_BYTES`` bytes (a CSV cell holds
no line break, so a CSV file is cut the same way), each range carrying the number of its
first line so that every case is located (``file:LINE``, ``file:row N``) as when the whole
file is read; other inputs (case files, small files, refused links) go in lists of files.
A worker (a local process or a Dask worker) runs ``run_job``: it reads its range, scores
each case and writes its lines, in the final output format, to its own part file; it
returns only a ``JobResult`` (the counts of a ``Summary``). The main process appends the
parts in job order to the output (``parts``), so the output is the same, byte for byte,
as when one process reads and writes every case.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ..assess.assessor import Observation
from ..engines import EngineName
from .inputs import CSV_SUFFIXES, LINES_SUFFIXES, InputFile, Record, range_records, records_of
from .outputs import LineWriter
from .report import Summary
from .scoring import Scored, process_assessor, score_record

#: About how many bytes of a JSON Lines or CSV file one job reads (the last line of a range runs to its end).
JOB_BYTES = 4 << 20
#: The most case files one job reads.
FILES_PER_JOB = 256
#: Bytes read at a time while looking for the end of a line.
_PIECE = 64 << 10


@dataclass(frozen=True)
class Job:
    """One piece of the inputs, described: ``kind`` "lines" or "csv" (a byte range of ``path``) or "files"."""

    number: int  # its place in the output: parts are appended in this order
    kind: Literal["lines", "csv", "files"]
    path: Path | None = None
    start: int = 0
    end: int = 0
    first_line: int = 1  # the number of the line at ``start``
    last: bool = False  # the last range of its file
    files: tuple[InputFile, ...] = ()
    size: int = 0  # bytes of input it stands for (the progress bar's measure)


@dataclass(frozen=True)
class JobSettings:
    """What every job of a run shares: where parts go, the output format, the rules and the engine."""

    parts: str  # the folder of part files (beside the output: the same file system)
    output_format: str
    rules_dir: str | None
    engine: EngineName
    observe: bool = False  # collect each case's Observation (an observer is registered in the main process)
    max_errors: int | None = None  # a job stops at its own max_errors-th case that cannot be scored
    base: str | None = None  # the folder relative input paths are opened from (a Dask worker's is not the client's)

    def part(self, job: Job) -> str:
        """The part file of a job."""
        return os.path.join(self.parts, f"{job.number:09d}.part")


@dataclass
class JobResult:
    """What a job hands back: its counts, and whether it read any case (a whole file without one is "empty")."""

    number: int
    part: str
    summary: Summary
    seen_any: bool = False
    observations: list[Observation] = field(default_factory=list)


def plan_jobs(files: Sequence[InputFile], sizes: Sequence[int | None], job_bytes: int | None = None
              ) -> Iterator[Job]:
    """The jobs of the inputs in order (``sizes``: each file's size, None if unknown); lazily, reading ahead little.

    ``job_bytes`` is about how much of a large file one job reads (default ``JOB_BYTES``).

    Cutting a large file reads it once, in pieces, to find line ends and count lines
    (``bytes.count``): no line is parsed here.
    """
    job_bytes = job_bytes or JOB_BYTES
    number = 0
    batch: list[InputFile] = []
    batch_bytes = 0
    for item, size in zip(files, sizes, strict=True):
        kind = _range_kind(item)
        if kind is not None and size is not None and size > job_bytes:
            if batch:
                yield Job(number, "files", files=tuple(batch), size=batch_bytes)
                number, batch, batch_bytes = number + 1, [], 0
            for start, end, first_line, last in cut(item.path, job_bytes):
                yield Job(number, kind, item.path, start, end, first_line, last, size=end - start)
                number += 1
            continue
        batch.append(item)
        batch_bytes += size or 0
        if len(batch) >= FILES_PER_JOB or batch_bytes >= job_bytes:
            yield Job(number, "files", files=tuple(batch), size=batch_bytes)
            number, batch, batch_bytes = number + 1, [], 0
    if batch:
        yield Job(number, "files", files=tuple(batch), size=batch_bytes)


def jobs_for(files: Sequence[InputFile], sizes: Sequence[int | None]) -> int | None:
    """About how many jobs ``plan_jobs`` makes of these inputs (None when a size is unknown): more workers than
    that would have nothing to do. Batches as ``plan_jobs`` does; a large file counts a job per ``JOB_BYTES``."""
    count, batch, batch_bytes = 0, 0, 0
    for item, size in zip(files, sizes, strict=True):
        if size is None:
            return None
        if _range_kind(item) is not None and size > JOB_BYTES:
            count += (batch > 0) - (-size // JOB_BYTES)
            batch, batch_bytes = 0, 0
            continue
        batch, batch_bytes = batch + 1, batch_bytes + size
        if batch >= FILES_PER_JOB or batch_bytes >= JOB_BYTES:
            count, batch, batch_bytes = count + 1, 0, 0
    return count + (batch > 0)


def _range_kind(item: InputFile) -> Literal["lines", "csv"] | None:
    if item.is_stdin or item.refused is not None:
        return None
    suffix = item.path.suffix.lower()
    return "lines" if suffix in LINES_SUFFIXES else "csv" if suffix in CSV_SUFFIXES else None


def cut(path: Path, job_bytes: int) -> Iterator[tuple[int, int, int, bool]]:
    """Ranges of a file ending at line ends, about ``job_bytes`` each: (start, end, number of the first line, last).

    A file that cannot be read is one range (its job says why).
    """
    try:
        handle = path.open("rb", buffering=0)
    except OSError:
        yield 0, 0, 1, True
        return
    buffer = bytearray(job_bytes)  # one buffer, read into again and again: no new memory per block
    with handle:
        size = os.fstat(handle.fileno()).st_size
        start, line = 0, 1
        while True:
            filled = _fill(handle, memoryview(buffer))
            newlines = buffer.count(b"\n", 0, filled)
            end = start + filled
            if filled and buffer[filled - 1] != ord("\n"):
                tail, tail_newlines = _to_line_end(handle)
                end += tail
                newlines += tail_newlines
            last = not filled or end >= size
            if filled or start == 0:
                yield start, end, line, last
            if last:
                return
            start, line = end, line + newlines


def _fill(handle: IO[bytes], view: memoryview) -> int:
    """Read into ``view`` until it is full or the file ends; the bytes read."""
    filled = 0
    while filled < len(view) and (count := handle.readinto(view[filled:])):  # type: ignore[attr-defined]
        filled += count
    return filled


def _to_line_end(handle: IO[bytes]) -> tuple[int, int]:
    """Read through the next line end: the bytes read and the newlines among them (0 or 1)."""
    read = 0
    while piece := handle.read(_PIECE):
        at = piece.find(b"\n")
        if at >= 0:
            handle.seek(at + 1 - len(piece), os.SEEK_CUR)
            return read + at + 1, 1
        read += len(piece)
    return read, 0


def job_records(job: Job, base: str | None = None) -> Iterator[Record]:
    """The case records of a job, as reading the whole input would give them (relative paths opened from ``base``)."""
    if job.kind == "files":
        for item in job.files:
            yield from records_of(item, base)
    elif job.path is not None:
        yield from range_records(job.path, job.kind, job.start, job.end, job.first_line, base)


#: One job at a time per process: a Dask worker may run tasks in threads, and an engine is not shared.
_one_at_a_time = threading.Lock()
#: The part files this process wrote that may not be appended yet, by parts folder: (job number, path).
_written: dict[str, list[tuple[int, str]]] = {}


def run_job(settings: JobSettings, job: Job, part: str | None = None, max_errors: int | None = None,
            appended: int = 0) -> JobResult:
    """Score a job's cases into its part file (``part``, default ``settings.part(job)``); its counts.

    Stops after ``max_errors`` (default ``settings.max_errors``) cases that cannot be scored.
    The parts this process wrote for jobs numbered below ``appended`` are in the output
    already: they are removed here (so the main process, which appends them, need not).
    """
    part = part or settings.part(job)
    limit = max_errors if max_errors is not None else settings.max_errors
    summary, seen_any, observations = Summary(), False, []
    with _one_at_a_time:
        _remove_appended(settings.parts, appended)
        _written.setdefault(settings.parts, []).append((job.number, part))
        with open(part, "x", encoding="utf-8", newline="") as stream:
            assessor = process_assessor(settings.rules_dir, settings.engine)
            writer = LineWriter(stream, settings.output_format, header=False)
            for record in job_records(job, settings.base):
                seen_any = True
                scored: Scored = score_record(assessor, record)
                writer.write(scored)
                summary.add(scored)
                if settings.observe and scored.urgency is not None:
                    observations.append(Observation(scored.case_id, scored.rules_hash, scored.fired_rules,
                                                    scored.urgency))
                if limit is not None and summary.errors >= limit:
                    break
    return JobResult(job.number, part, summary, seen_any, observations)


def _remove_appended(folder: str, appended: int) -> None:
    for other in [name for name in _written if name != folder and not os.path.isdir(name)]:
        del _written[other]  # a run that ended: its folder went with its parts
    keep = []
    for number, path in _written.get(folder, []):
        if number < appended:
            with contextlib.suppress(OSError):
                os.unlink(path)
        else:
            keep.append((number, path))
    _written[folder] = keep


def run_job_packed(work: tuple[JobSettings, Job, int]) -> JobResult:
    """``run_job`` of (settings, job, jobs appended so far): the form a worker pool hands over."""
    settings, job, appended = work
    return run_job(settings, job, appended=appended)

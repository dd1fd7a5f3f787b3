"""Scoring in parts (triage/batch/jobs.py, parts.py): workers read and write for themselves, byte for byte as one process."""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage.assess.assessor import Assessor, Observation
from triage.batch import jobs
from triage.batch.inputs import expand
from triage.batch.jobs import cut, plan_jobs
from triage.batch.report import Summary
from triage.batch.scoring import score_records
from triage.cli import cli

from .conftest import CASES_DIR, ROOT
from .synthetic import random_answers

#: Small jobs, so that a file of a few hundred kilobytes is cut into many ranges.
SMALL_JOB = 24 << 10


def _big_jsonl(path: Path, count: int, rng: random.Random) -> None:
    """JSON Lines with broken lines, blank lines, a byte-order mark and CRLF endings among good cases."""
    with path.open("wb") as handle:
        handle.write(b"\xef\xbb\xbf")
        for number in range(count):
            roll = rng.random()
            if roll < 0.03:
                handle.write(b'{"age": 40,\n')
            elif roll < 0.05:
                handle.write(b"\n  \n")
            elif roll < 0.06:
                handle.write(b'{"id": "x%d", "age": 130}\r\n' % number)
            elif roll < 0.07:
                handle.write(b'{"id": "caf\xe9"}\n')
            else:
                case = {"id": f"c{number}", **random_answers(rng, rng.choice((0.0, 0.1, 0.5)), yes_rate=0.05)}
                handle.write(json.dumps(case).encode() + b"\n")


def _big_csv(path: Path, count: int, rng: random.Random) -> None:
    """CSV with unbalanced quotes, blank rows and short rows among good rows."""
    lines = ["id,age,region,fever,night_pain,pain_score,saddle_numbness"]
    for number in range(count):
        roll = rng.random()
        if roll < 0.03:
            lines.append(f'r{number},"30,lumbar')
        elif roll < 0.05:
            lines.append(",,,,,,")
        elif roll < 0.06:
            lines.append("short,70")
        else:
            yes_no = ("yes", "no", "")
            lines.append(f"r{number},{rng.randint(18, 90)},{rng.choice(('lumbar', 'cervical'))},{rng.choice(yes_no)},"
                         f"{rng.choice(yes_no)},{rng.randint(0, 10)},{rng.choice(yes_no)}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A folder mixing case files (good and broken), a big JSON Lines file, a big CSV file and a blank big file."""
    rng = random.Random(12)
    folder = tmp_path / "mixed"
    (folder / "a-files").mkdir(parents=True)
    for case in sorted(CASES_DIR.glob("*.yaml"))[:30]:
        (folder / "a-files" / case.name).write_text(case.read_text())
    (folder / "a-files" / "neck.json").write_text((ROOT / "examples" / "neck-partial.json").read_text())
    (folder / "a-files" / "wrong-type.yaml").write_text("age: forty\n")
    (folder / "a-files" / "junk.json").write_bytes(b"\x89PNG\x00\x01binary")
    _big_jsonl(folder / "b-big.jsonl", 500, rng)
    (folder / "c-blank.jsonl").write_text("\n" * (3 * SMALL_JOB))
    _big_csv(folder / "d-rows.csv", 4000, rng)
    (folder / "e-small.jsonl").write_text('{"id": "small", "age": 40}\n')
    return folder


def score(*args: str) -> str:
    """Run ``triage score ARGS -q``; its output (stdout and stderr)."""
    result = CliRunner().invoke(cli, ["score", *args, "-q"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def _sources(path: Path, output_format: str) -> list[str]:
    """The source of every line of an output file."""
    if output_format == "csv":
        with path.open(newline="") as handle:
            return [row["source"] for row in csv.DictReader(handle)]
    return [json.loads(line)["source"] for line in path.read_text().splitlines()]


def test_ranges_end_at_line_ends_and_number_their_first_line(tmp_path: Path) -> None:
    """Cutting a file gives ranges that tile it, each ending at a line end, each knowing its first line's number."""
    path = tmp_path / "lines.jsonl"
    rng = random.Random(3)
    path.write_bytes(b"".join(b"x" * rng.choice((0, 5, 300, 5000)) + b"\n" for _ in range(2000)) + b"no end")
    data = path.read_bytes()
    ranges = list(cut(path, 4096))
    assert len(ranges) > 50
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data) and ranges[-1][3]
    for (start, end, first_line, last), following in zip(ranges, [*ranges[1:], None], strict=True):
        assert first_line == data.count(b"\n", 0, start) + 1
        assert end == len(data) or data[end - 1:end] == b"\n"
        assert last == (following is None)
        if following is not None:
            assert following[0] == end


def test_the_mixed_folder_is_cut_into_ranges_and_file_lists(mixed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big JSON Lines and CSV files become many ranges; case files and small files go in lists, in input order."""
    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    files = expand([str(mixed)])
    planned = list(plan_jobs(files, [item.size for item in files]))
    kinds = [job.kind for job in planned]
    assert kinds.count("lines") > 10 and kinds.count("csv") > 2 and kinds[0] == kinds[-1] == "files"
    assert [job.number for job in planned] == list(range(len(planned)))
    listed = [item.path.name for job in planned for item in job.files]
    assert listed[-1] == "e-small.jsonl" and "neck.json" in listed


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_two_workers_write_the_same_bytes_as_one(mixed: Path, tmp_path: Path, output_format: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With workers writing parts, the output file is byte for byte that of one process; no part is left."""
    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    out = tmp_path / "out"
    out.mkdir()
    one, two = out / f"one.{output_format}", out / f"two.{output_format}"
    score(str(mixed), "-o", str(one), "--workers", "1")
    score(str(mixed), "-o", str(two), "--workers", "2")
    assert one.read_bytes() == two.read_bytes()
    sources = _sources(one, output_format)
    lines = (mixed / "b-big.jsonl").read_bytes().split(b"\n")
    assert [s for s in sources if "b-big.jsonl:" in s] == [
        f"{mixed / 'b-big.jsonl'}:{n}" for n, line in enumerate(lines[:-1], 1) if line.strip()]
    rows = (mixed / "d-rows.csv").read_text().split("\n")
    assert [s for s in sources if "d-rows.csv:" in s] == [
        f"{mixed / 'd-rows.csv'}:row {n}" for n, row in enumerate(rows[:-1], 1) if n > 1 and row.strip(",")]
    assert f"{mixed / 'c-blank.jsonl'}" in sources and "the file is empty" in one.read_text()  # cut, still "empty"
    assert sorted(p.name for p in out.iterdir()) == sorted([one.name, two.name])


@pytest.mark.parametrize("limit", ["1", "17", "150"])
def test_max_errors_stops_at_the_same_case_with_workers(mixed: Path, tmp_path: Path, limit: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """--max-errors N stops after the Nth case that cannot be scored, with the same output and summary as one process."""
    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    said_one = score(str(mixed), "-o", str(one), "--workers", "1", "--max-errors", limit)
    said_two = score(str(mixed), "-o", str(two), "--workers", "2", "--max-errors", limit)
    assert one.read_bytes() == two.read_bytes()
    assert said_one == said_two and f"stopped after {limit} case(s)" in said_two
    assert sum('"error"' in line for line in one.read_text().splitlines()) == int(limit)


def test_merged_summaries_count_as_one_summary() -> None:
    """Summaries of consecutive pieces, merged, equal the summary of the whole, including the lists they keep."""
    lines = [json.dumps({"id": f"e{n}", **random_answers(random.Random(n), 0.2),
                         "expected_urgency": ("emergency", "self_care", "soon")[n % 3]})
             for n in range(120)]
    lines[7:40:3] = ["{broken"] * len(lines[7:40:3])
    from triage.batch.inputs import Record

    records = [Record(f"s:{n}", f"s:{n}", text=line, suffix=".jsonl") for n, line in enumerate(lines, 1)]
    scored = list(score_records(records))
    whole = Summary()
    for item in scored:
        whole.add(item)
    merged = Summary()
    for start in range(0, len(scored), 13):
        piece = Summary()
        for item in scored[start:start + 13]:
            piece.add(item)
        merged.merge(piece)
    assert merged == whole and whole.errors == 11 and len(whole.first_errors) == 5
    assert whole.under_triaged and whole.over_triaged_cases and whole.confusion


def test_dask_workers_write_the_same_bytes_as_one_process(mixed: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """--dask on a LocalCluster of worker processes: ranges read and parts written there, the same output bytes."""
    import distributed  # a test dependency: never skipped

    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    monkeypatch.chdir(mixed.parent)  # relative inputs: the workers open them from the client's folder
    out = tmp_path / "out"
    out.mkdir()
    local, remote = out / "local.jsonl", out / "dask.jsonl"
    score(mixed.name, "-o", str(local), "--workers", "1")
    with distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, scheduler_port=0,
    ) as cluster:
        score(mixed.name, "-o", str(remote), "--dask", cluster.scheduler_address)
        with distributed.Client(cluster) as client:  # type: ignore[no-untyped-call]
            pids = client.run(os.getpid)
            prefixes = client.run_on_scheduler(_task_prefixes)
    assert local.read_bytes() == remote.read_bytes()
    assert "run_job_packed" in prefixes  # the jobs ran as tasks, not here
    assert len(set(pids.values()) - {os.getpid()}) == 2  # two worker processes, not this one
    assert sorted(p.name for p in out.iterdir()) == ["dask.jsonl", "local.jsonl"]
    assert not list(mixed.parent.glob(".*.parts"))


def _task_prefixes(dask_scheduler: Any) -> list[str]:
    """The names of the kinds of task a Dask scheduler has seen."""
    return list(dask_scheduler.task_prefixes)


@pytest.mark.parametrize("extra", [[], ["--max-errors", "40"]])
def test_an_observer_is_told_of_each_case_once_as_with_one_process(mixed: Path, tmp_path: Path, extra: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Under an observer (the coverage plugin), workers' observations reach it in order, each case once."""
    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    seen: dict[str, list[Observation]] = {"1": [], "2": []}
    for workers, observations in seen.items():
        monkeypatch.setattr(Assessor, "observer", observations.append)
        score(str(mixed), "-o", str(tmp_path / f"{workers}.jsonl"), "--workers", workers, *extra)
    assert seen["1"] == seen["2"]
    assert len(seen["1"]) == sum('"urgency":' in line for line in (tmp_path / "1.jsonl").read_text().splitlines())


HOSTILE_LINES = [b'{"id": "a", "age": 40}', b"", b"   ", b'{"age": 40,', b'{"id": "caf\xe9"}', b"[1, 2]",
                 b'{"id": "long", "description": "' + b"x" * 70_000 + b'"}', b'{"id": "crlf", "age": 30}\r']
HOSTILE_ROWS = [b"r1,30,lumbar", b",,", b'r2,"30,lumbar', b"r3,\xff,lumbar", b"short", b"r4," + b"9" * (1 << 20) + b",x",
                b"r5,40,cervical\r", b""]


@pytest.mark.parametrize(("kind", "header"), [("lines", b""), ("csv", b"id,age,region"), ("csv", b"\xef\xbb\xbfid,age,id"),
                                              ("csv", b"id,\xff"), ("csv", b"")])
def test_ranges_read_the_same_records_as_the_whole_file(tmp_path: Path, kind: str, header: bytes) -> None:
    """For any cut, the records of the ranges, in order, are those of the whole file (sources, ids, errors)."""
    from triage.batch.inputs import empty_file, range_records, records_of_file

    rng = random.Random(len(header))
    pool = HOSTILE_LINES if kind == "lines" else HOSTILE_ROWS
    body = [rng.choice(pool) for _ in range(400)]
    lead = b"\xef\xbb\xbf" if kind == "lines" else header + b"\n"
    path = tmp_path / ("in.jsonl" if kind == "lines" else "in.csv")
    path.write_bytes(lead + b"\n".join(body) + rng.choice((b"", b"\n")))
    whole = list(records_of_file(path))
    for job_bytes in (1, 500, 9_000, 100_000):
        ranges = [record for start, end, first, _ in cut(path, job_bytes)
                  for record in range_records(path, kind, start, end, first)]
        if kind == "lines" and not ranges:
            ranges = [empty_file(str(path), path.stem)]
        assert [(r.source, r.default_id, r.text, r.row, r.error) for r in ranges] == \
            [(r.source, r.default_id, r.text, r.row, r.error) for r in whole], job_bytes


def test_the_jobs_a_set_of_inputs_makes_bound_the_default_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """One small case file makes one job, so a default run starts no worker process at all (it used to start one per
    core); 300 small files make two jobs; a large JSON Lines file one per JOB_BYTES; a pipe's size is unknown."""
    monkeypatch.setattr(jobs, "JOB_BYTES", SMALL_JOB)
    small = tmp_path / "one.json"
    small.write_text('{"id": "one", "age": 40, "region": "lumbar"}')
    many = [small] * 300
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 1_000, random.Random(5))
    sizes = {path: path.stat().st_size for path in (small, big)}
    assert jobs.jobs_for(expand([str(small)]), [sizes[small]]) == 1
    assert jobs.jobs_for(expand([str(p) for p in many]), [sizes[small]] * 300) == 2
    assert jobs.jobs_for(expand([str(big)]), [sizes[big]]) == -(-sizes[big] // SMALL_JOB) > 2
    assert jobs.jobs_for(expand([str(small)]), [None]) is None

    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a worker pool was started for one small case")

    monkeypatch.setattr("triage.batch.parts.OrderedPool", no_pool)
    monkeypatch.setattr("triage.batch.scoring.OrderedPool", no_pool)
    monkeypatch.setattr("triage.batch.run.default_workers", lambda: 4)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["score", str(small), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["case_id"] == "one"


def test_jobs_for_counts_the_jobs_plan_jobs_makes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On random mixes of small and large case and JSON Lines files, the estimate is the number of jobs planned."""
    monkeypatch.setattr(jobs, "JOB_BYTES", 5_000)
    rng = random.Random(3)
    for trial in range(40):
        paths = []
        for number in range(rng.randint(1, 12)):
            kind, size = rng.choice(["json", "jsonl"]), rng.choice([100, 2_000, 4_999, 5_001, 12_000, 30_000])
            path = tmp_path / f"t{trial}-{number}.{kind}"
            path.write_text("".join(f'{{"id": "x{n:05d}", "age": 40}}\n' for n in range(max(1, size // 50)))
                            if kind == "jsonl" else '{"id": "a", "age": 40}' + " " * size)
            paths.append(path)
        files = expand([str(path) for path in paths])
        sizes = [item.size for item in files]
        assert jobs.jobs_for(files, sizes) == sum(1 for _ in plan_jobs(files, sizes)), (trial, sizes)

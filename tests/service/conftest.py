"""Fixtures of the service tests: ``triage serve`` as a real process on a free port, always stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..synthetic import random_case_dicts

__all__ = ["Server", "free_port", "random_case_dicts", "start_server"]


def free_port() -> int:
    """A TCP port on localhost that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``triage serve``: its URL, its process and the file its log goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **options: Any) -> httpx.Client:
        """An HTTP client for this server."""
        return httpx.Client(base_url=self.url, timeout=options.pop("timeout", 30), **options)

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after 15 s; the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_server(log_path: Path, *arguments: str, port: int | None = None, timeout: float = 60) -> Server:
    """Start ``python -m triage serve`` with these arguments and wait until /health answers."""
    port = port or free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "triage", "serve", "--port", str(port), *arguments],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"triage serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"triage serve did not answer within {timeout} s:\n{server.log()}")


@pytest.fixture(scope="module")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Start servers for one test module; every one is stopped at the end of the module, whatever happens."""
    started: list[Server] = []

    def start(*arguments: str, **options: Any) -> Server:
        log = tmp_path_factory.mktemp("serve") / "server.log"
        server = start_server(log, *arguments, **options)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def server(server_factory: Callable[..., Server]) -> Server:
    """One ``triage serve`` with the default settings for the whole test module."""
    return server_factory()

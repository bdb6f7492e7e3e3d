"""A real MCIAS server per need, from scripts/conformance-server (never a mock)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


class Server:
    """One running conformance server and its JSON line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(ROOT / "scripts" / "conformance-server")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError("conformance-server exited before printing its JSON line")
        self.info: dict[str, Any] = json.loads(line)
        self.url: str = self.info["url"]
        self.ca_file: str = self.info["ca_file"]
        self.issuer: str = self.info["issuer"]
        self.admin_username: str = self.info["admin_username"]
        self.admin_password: str = self.info["admin_password"]

    def stop(self) -> int:
        """Close stdin (the script then stops the server and removes its directory)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1


def _server() -> Iterator[Server]:
    s = Server()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """A server for the client's own tests."""
    yield from _server()


@pytest.fixture(scope="session")
def sync_conformance_server() -> Iterator[Server]:
    """A fresh server for the sync client's conformance run."""
    yield from _server()


@pytest.fixture(scope="session")
def async_conformance_server() -> Iterator[Server]:
    """A fresh server for the async client's conformance run."""
    yield from _server()

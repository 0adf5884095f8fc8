"""Test-wide fixtures: no test may reach the internet."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class _BlockedSocket(socket.socket):
    """A socket that refuses every connection except to loopback and Unix sockets (Dask local clusters)."""

    def connect(self, address):  # type: ignore[override]
        _check(address)
        return super().connect(address)

    def connect_ex(self, address):  # type: ignore[override]
        _check(address)
        return super().connect_ex(address)


def _check(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in {"localhost", "::1"} or host.startswith("127."):
            return
        raise OSError(f"tests may not use the network (tried to connect to {host})")


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Block outbound sockets so no test can reach the internet."""
    monkeypatch.setattr(socket, "socket", _BlockedSocket)
    yield


@pytest.fixture
def repo_root() -> Path:
    return ROOT

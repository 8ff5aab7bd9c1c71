"""Issue 21 item 11: `train.dask` naming something that is not a Dask scheduler (the dashboard's
HTTP port, a port that accepts and never answers) ends within seconds with exit 3 naming
train.dask and the address, not a 3 EiB MemoryError or a hang."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mlgate.errors import ServiceError, UsageError
from mlgate.train import crossval
from mlgate.train.config import CLASSIFICATION, TrainConfig

DEADLINE = 20.0  # the test fails rather than hang


@contextlib.contextmanager
def _server(answer: bytes | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1: it answers every request with ``answer`` (after reading what
    the client sends), or accepts and never says anything (``None``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)
            if answer is not None:
                with contextlib.suppress(OSError):
                    conn.settimeout(2)
                    conn.recv(65536)
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        sock.close()


HTTP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n"
        b"<html></html>")


def _run_fits(address: str, monkeypatch: pytest.MonkeyPatch) -> BaseException | None:
    """``run_fits`` on the scheduler at ``address`` in a thread, bounded by DEADLINE."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    monkeypatch.setattr(crossval, "DASK_PROBE_TIMEOUT", 1.0, raising=False)
    cfg = TrainConfig(data="d", target="y", dask=address, cv=2, repeats=1)
    x = pd.DataFrame({"a": range(20)})
    y = pd.Series([i % 2 for i in range(20)])
    plan = crossval.make_splits(cfg, CLASSIFICATION, x, y)
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            crossval.run_fits(cfg, CLASSIFICATION, Pipeline([("m", DummyClassifier())]), x, y,
                              ("accuracy",), plan, lambda _line: None)
            outcome.append(None)
        except BaseException as err:
            outcome.append(err)

    thread = threading.Thread(target=call, daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(DEADLINE)
    if not outcome:
        pytest.fail(f"run_fits on {address} still running after {DEADLINE:g}s (a hang)")
    assert time.monotonic() - start < 15
    return outcome[0]


@pytest.mark.parametrize("answer", [HTTP, None], ids=["http-server", "never-answers"])
def test_a_server_that_is_not_a_dask_scheduler_is_exit_3_naming_train_dask(
    answer: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    with _server(answer) as port:
        address = f"tcp://127.0.0.1:{port}"
        err = _run_fits(address, monkeypatch)
    assert isinstance(err, ServiceError), repr(err)
    assert err.exit_code == 3
    assert err.where == "mlgate.yaml: train.dask"
    assert address in err.message and "Dask scheduler" in err.message


def test_a_closed_port_is_exit_3_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = _run_fits(f"tcp://127.0.0.1:{port}", monkeypatch)
    assert isinstance(err, ServiceError) and err.where == "mlgate.yaml: train.dask"


def test_a_malformed_dask_scheduler_address_env_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "http://127.0.0.1:8787/status")
    with pytest.raises(UsageError) as err:
        crossval.dask_address(TrainConfig(data="d", target="y"))
    assert err.value.where == "DASK_SCHEDULER_ADDRESS"


def test_probe_accepts_a_real_scheduler(monkeypatch: Any) -> None:
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        assert _run_fits(cluster.scheduler_address, monkeypatch) is None

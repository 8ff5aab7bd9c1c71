"""mlgate pull: real DVC, a local-directory remote, and an S3 remote served by moto."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate.adapters import dvc as dvc_pull
from mlgate.adapters.dvc import DvcLogRecord, PullStats, classify_failure
from mlgate.cli import main
from mlgate.config import parse_config
from mlgate.errors import ServiceError, UsageError
from mlgate.formatting import format_bytes
from tests.helpers.dvcproject import (
    add_dvc_remote,
    breast_cancer_frame,
    drop_local_data,
    make_dvc_project,
    push,
    track_data,
)

pytestmark = pytest.mark.filterwarnings("ignore:_NoneStep:DeprecationWarning")

DATA = "data/train.csv"
EXTRA = "data/extra.csv"
EXTRA_TEXT = "a,b\n1,2\n3,4\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A pushed project with two tracked files, as a fresh clone: no data, no cache."""
    root = make_dvc_project(
        tmp_path / "proj",
        remote_dir=tmp_path / "remote",
        data_frame_or_csv_text=breast_cancer_frame(200),
    )
    track_data(root, EXTRA, EXTRA_TEXT)
    drop_local_data(root, (DATA, EXTRA))
    return root


def _cache_size_of(root: Path, rel: str) -> int:
    return (root / rel).stat().st_size


def test_pull_fetches_everything_and_reports_files_and_bytes(project: Path) -> None:
    stats = dvc_pull.pull(project, log=lambda _m: None)
    assert stats.fetched == 2
    assert stats.added == [EXTRA, DATA]
    assert stats.bytes == _cache_size_of(project, DATA) + _cache_size_of(project, EXTRA)
    assert stats.remote == "storage"
    assert (project / EXTRA).read_text() == EXTRA_TEXT
    assert "fetched 2 files" in stats.summary()


def test_second_pull_transfers_nothing(project: Path) -> None:
    dvc_pull.pull(project, log=lambda _m: None)
    again = dvc_pull.pull(project, log=lambda _m: None)
    assert (again.fetched, again.bytes, again.added, again.modified) == (0, 0, [], [])


def test_pull_restores_a_deleted_file_from_the_cache_without_fetching(project: Path) -> None:
    dvc_pull.pull(project, log=lambda _m: None)
    (project / DATA).unlink()
    stats = dvc_pull.pull(project, log=lambda _m: None)
    assert stats.fetched == 0
    assert stats.added == [DATA]
    assert (project / DATA).exists()


def test_targets_pull_only_those(project: Path) -> None:
    stats = dvc_pull.pull(project, [EXTRA], jobs=2, log=lambda _m: None)
    assert stats.fetched == 1
    assert (project / EXTRA).exists()
    assert not (project / DATA).exists()


def test_untracked_target_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError) as err:
        dvc_pull.pull(project, ["data/nope.csv"], log=lambda _m: None)
    assert err.value.where == "--targets"
    assert "not tracked by DVC" in err.value.message


def test_repo_without_dvc_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        dvc_pull.pull(tmp_path, log=lambda _m: None)
    assert "no .dvc directory" in err.value.message


def test_missing_remote_directory_is_a_service_error(project: Path, tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "remote")
    with pytest.raises(ServiceError) as err:
        dvc_pull.pull(project, log=lambda _m: None)
    assert "unreachable" in err.value.message
    assert "storage" in err.value.message


def test_data_missing_on_the_remote_is_a_service_error(project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    shutil.rmtree(remote)
    remote.mkdir()
    with pytest.raises(ServiceError) as err:
        dvc_pull.pull(project, log=lambda _m: None)
    assert "missing from" in err.value.message
    assert "dvc push" in (err.value.fix or "")


def test_unknown_remote_name_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError) as err:
        dvc_pull.pull(project, remote="nope", log=lambda _m: None)
    assert "nope" in err.value.message
    assert "storage" in (err.value.fix or "")


def test_named_remote(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-remote"
    shutil.copytree(tmp_path / "remote", other)
    add_dvc_remote(project, "backup", str(other))
    shutil.rmtree(tmp_path / "remote")  # the default is gone: only `backup` can work
    stats = dvc_pull.pull(project, remote="backup", log=lambda _m: None)
    assert (stats.fetched, stats.remote) == (2, "backup")


def test_sets_dvc_no_analytics_when_unset(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DVC_NO_ANALYTICS")
    dvc_pull.pull(project, [EXTRA], log=lambda _m: None)
    assert os.environ["DVC_NO_ANALYTICS"] == "1"


def test_cache_dir_override_reuses_another_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv(dvc_pull.CACHE_DIR_ENV, str(shared))
    first = dvc_pull.pull(project, log=lambda _m: None)
    assert first.fetched == 2
    assert any(shared.rglob("*")) and not (project / ".dvc" / "cache").exists()
    drop_local_data(project, (DATA, EXTRA))
    second = dvc_pull.pull(project, log=lambda _m: None)
    assert second.fetched == 0 and len(second.added) == 2


# -- the CLI and mlgate.yaml ------------------------------------------------------------------


def test_cli_pull_logs_what_was_fetched(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    assert main(["pull"]) == 0
    out = capsys.readouterr().out
    assert "fetched 2 files" in out
    assert f"pull:   {DATA}" in out


def test_cli_pull_from_a_subdirectory(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like `dvc pull`: a monorepo subproject's directory works, targets relative to it."""
    sub = project / "models" / "churn"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert main(["pull", "--targets", f"../../{EXTRA}"]) == 0
    assert (project / EXTRA).exists() and not (project / DATA).exists()
    assert main(["pull"]) == 0
    assert (project / DATA).exists()
    assert f"pull:   {DATA}" in capsys.readouterr().out


def test_cli_config_targets_and_flag_override(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    (project / "mlgate.yaml").write_text(f"pull:\n  targets: [{EXTRA}]\n  jobs: 2\n")
    assert main(["pull"]) == 0
    assert (project / EXTRA).exists() and not (project / DATA).exists()
    assert main(["pull", "--targets", DATA]) == 0
    assert (project / DATA).exists()
    capsys.readouterr()


def test_cli_exit_codes(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(project)
    assert main(["pull", "--targets", "nope.csv"]) == 2
    assert "--targets: not tracked by DVC" in capsys.readouterr().err
    (project / "mlgate.yaml").write_text("pull:\n  targets: [nope.csv]\n")
    assert main(["pull"]) == 2
    assert "mlgate.yaml: pull.targets" in capsys.readouterr().err
    (project / "mlgate.yaml").write_text("pull:\n  jobz: 2\n")
    assert main(["pull"]) == 2
    assert "unknown key(s) in pull: jobz" in capsys.readouterr().err
    (project / "mlgate.yaml").unlink()
    shutil.rmtree(tmp_path / "remote")
    assert main(["pull"]) == 3
    assert "unreachable" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["pull"]) == 2


# -- pure parts -------------------------------------------------------------------------------


def resolve_options(
    section: dict, *, targets: list[str] | None = None, remote: str | None = None,
    jobs: int | None = None,
) -> dvc_pull.PullOptions:
    """``pull:`` parsed as mlgate.yaml is, with the flags merged (config.py does both)."""
    return parse_config({"pull": section}).pull_options(targets, remote, jobs, allow_missing=False)


def test_resolve_options_precedence_and_validation() -> None:
    section = {"targets": "a.csv", "remote": "r1", "jobs": 4}
    assert resolve_options(section) == dvc_pull.PullOptions(["a.csv"], "r1", 4)
    assert resolve_options(section, targets=["b"], remote="r2", jobs=1) == dvc_pull.PullOptions(
        ["b"], "r2", 1
    )
    for bad, key in (
        ({"jobs": 0}, "pull.jobs"),
        ({"jobs": True}, "pull.jobs"),
        ({"targets": [1]}, "pull.targets"),
        ({"remote": 3}, "pull.remote"),
        ({"target": "x"}, "pull"),
    ):
        with pytest.raises(UsageError) as err:
            resolve_options(bad)
        assert err.value.where == f"mlgate.yaml: {key}"
    with pytest.raises(UsageError):
        resolve_options({}, jobs=0)


def _record(message: str, *texts: str) -> DvcLogRecord:
    return DvcLogRecord(logging.ERROR, message, list(texts))


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            [
                _record(
                    "failed to connect to s3", "NoCredentialsError", "Unable to locate credentials"
                )
            ],
            "could not authenticate",
        ),
        (
            [_record("failed to connect to s3", "ClientError", "InvalidAccessKeyId", "denied")],
            "could not authenticate",
        ),
        (
            [
                _record(
                    "failed to connect",
                    "EndpointConnectionError",
                    'Could not connect to the endpoint URL: "http://x"',
                )
            ],
            "unreachable",
        ),
        (
            [
                DvcLogRecord(
                    logging.WARNING,
                    "Some of the cache files do not exist neither locally "
                    "nor on remote. Missing cache files:",
                    [],
                )
            ],
            "missing from",
        ),
        ([], "pulling from DVC remote 'r' failed"),
    ],
)
def test_classify_failure(records: list[DvcLogRecord], expected: str) -> None:
    err = classify_failure(RuntimeError("1 files failed to download"), records, "r")
    assert isinstance(err, ServiceError)
    assert expected in err.message


def test_summary_and_byte_sizes() -> None:
    stats = PullStats(1, 2048, ["a"], [], [], "storage", 0.25)
    assert stats.summary() == (
        "fetched 1 file (2.0 KiB); checked out: 1 added, 0 modified, 0 deleted "
        "from remote 'storage' in 0.2s"
    )
    assert format_bytes(5) == "5 B"
    assert format_bytes(3 * 1024**3) == "3.0 GiB"


# -- S3 (moto server on 127.0.0.1) -------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, creds: bool) -> None:
    # Nothing from the machine: no profile files, no instance metadata.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    if creds:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    else:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)


@pytest.fixture
def s3_project(
    project: Path, moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    import boto3

    _aws_env(monkeypatch, tmp_path, creds=True)
    bucket = f"mlgate-{tmp_path.name.lower().replace('_', '-')}"[:60]
    boto3.client("s3", endpoint_url=moto_url).create_bucket(Bucket=bucket)
    add_dvc_remote(project, "s3", f"s3://{bucket}/store", default=True, endpointurl=moto_url)
    # Fill the S3 remote from the local one, then forget the local one.
    dvc_pull.pull(project, remote="storage", log=lambda _m: None)
    assert push(project, "s3") == 2
    drop_local_data(project, (DATA, EXTRA))
    shutil.rmtree(tmp_path / "remote")
    return project


@pytest.mark.slow
def test_s3_pull_and_second_pull(s3_project: Path) -> None:
    stats = dvc_pull.pull(s3_project, log=lambda _m: None)
    assert (stats.fetched, stats.remote) == (2, "s3")
    assert stats.bytes > 0
    again = dvc_pull.pull(s3_project, log=lambda _m: None)
    assert (again.fetched, again.bytes) == (0, 0)


@pytest.mark.slow
def test_s3_missing_credentials(
    s3_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aws_env(monkeypatch, tmp_path, creds=False)
    with pytest.raises(ServiceError) as err:
        dvc_pull.pull(s3_project, log=lambda _m: None)
    assert "credentials are missing or were rejected" in err.value.message
    assert "AWS_ACCESS_KEY_ID" in (err.value.fix or "")


@pytest.mark.slow
def test_s3_unreachable_endpoint(s3_project: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    add_dvc_remote(s3_project, "dead", "s3://bucket/store", endpointurl=f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceError) as err:
        dvc_pull.pull(s3_project, remote="dead", log=lambda _m: None)
    assert "DVC remote 'dead' is unreachable" in err.value.message


def test_allow_missing_skips_files_the_remote_does_not_have(tmp_path: Path) -> None:
    root = make_dvc_project(
        tmp_path / "proj", remote_dir=tmp_path / "remote", data_frame_or_csv_text=EXTRA_TEXT
    )
    track_data(root, "model/out.bin", b"not pushed", push=False)
    drop_local_data(root, (DATA, "model/out.bin"))
    with pytest.raises(ServiceError, match="missing from"):
        dvc_pull.pull(root, log=lambda _m: None)
    drop_local_data(root, (DATA, "model/out.bin"))
    stats = dvc_pull.pull(root, allow_missing=True, log=lambda _m: None)
    assert (stats.fetched, stats.added) == (1, [DATA])
    assert not (root / "model/out.bin").exists()
    assert resolve_options({"allow-missing": True}).allow_missing
    with pytest.raises(UsageError):
        resolve_options({"allow-missing": "yes"})


def test_pulled_workspace_needs_no_remote(project: Path, tmp_path: Path) -> None:
    dvc_pull.pull(project, log=lambda _m: None)
    shutil.rmtree(tmp_path / "remote")
    stats = dvc_pull.pull(project, log=lambda _m: None)
    assert (stats.fetched, stats.added) == (0, [])


def test_progress_lines_while_fetching(project: Path) -> None:
    logs: list[str] = []
    stats = dvc_pull.pull(project, log=logs.append, progress_every=0.01)
    assert stats.fetched == 2
    assert logs[0].startswith("pull: fetching all DVC-tracked data from remote 'storage'")
    progress = [line for line in logs if "in the cache so far" in line]
    assert progress, logs
    assert progress[-1].startswith("pull: ... ")


# -- a remote that cannot be reached is not "data never pushed" (issue 12) -------------------


def _closed_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unreachable_project(tmp_path: Path) -> Path:
    """One `dvc add`ed file, cache removed, as a fresh clone."""
    root = make_dvc_project(
        tmp_path / "proj", remote_dir=tmp_path / "remote", data_frame_or_csv_text=EXTRA_TEXT
    )
    drop_local_data(root, (DATA,))
    return root


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("https://dvc-remote.invalid/store", "cannot resolve host 'dvc-remote.invalid'"),
        ("http://127.0.0.1:{port}/store", "connection refused by 127.0.0.1:{port}"),
    ],
    ids=["dns", "refused"],
)
def test_unreachable_http_remote_is_named_with_its_cause(
    unreachable_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    cause: str,
) -> None:
    port = _closed_port()
    url, cause = url.format(port=port), cause.format(port=port)
    add_dvc_remote(unreachable_project, "store", url, default=True)
    monkeypatch.chdir(unreachable_project)
    start = time.monotonic()
    assert main(["pull"]) == 3
    err = capsys.readouterr().err
    assert time.monotonic() - start < 20
    assert "DVC remote 'store'" in err and url in err and "unreachable" in err
    assert cause in err
    assert "never pushed" not in err and "dvc push" not in err
    assert DATA in err  # what is still missing


def test_allow_missing_with_an_unreachable_remote_is_not_a_success(
    unreachable_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/store"
    add_dvc_remote(unreachable_project, "store", url, default=True)
    monkeypatch.chdir(unreachable_project)
    assert main(["pull", "--allow-missing"]) == 3
    captured = capsys.readouterr()
    assert "fetched 0 files" not in captured.out + captured.err
    assert url in captured.err and "connection refused" in captured.err
    assert DATA in captured.err


def test_allow_missing_lists_what_is_still_missing(tmp_path: Path) -> None:
    root = make_dvc_project(
        tmp_path / "proj", remote_dir=tmp_path / "remote", data_frame_or_csv_text=EXTRA_TEXT
    )
    track_data(root, "model/out.bin", b"not pushed", push=False)
    drop_local_data(root, (DATA, "model/out.bin"))
    logs: list[str] = []
    stats = dvc_pull.pull(root, allow_missing=True, log=logs.append)
    assert stats.missing == ["model/out.bin"]
    assert "1 still missing" in stats.summary()


def test_probe_names_the_cause() -> None:
    port = _closed_port()
    assert dvc_pull.probe_remote(f"http://127.0.0.1:{port}/x", {}) == (
        f"connection refused by 127.0.0.1:{port}"
    )
    assert (dvc_pull.probe_remote("https://dvc-remote.invalid/x", {}) or "").startswith(
        "cannot resolve host 'dvc-remote.invalid'"
    )
    assert dvc_pull.probe_remote("s3://bucket/x", {}) is None  # no endpoint to probe
    assert dvc_pull.probe_remote(
        "s3://bucket/x", {"endpointurl": f"http://127.0.0.1:{port}"}
    ) == f"connection refused by 127.0.0.1:{port}"
    assert dvc_pull.probe_remote("/some/local/dir", {}) is None


def test_probe_reports_a_tls_failure() -> None:
    with socket.socket() as server:  # speaks plain bytes, not TLS
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def answer() -> None:
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        cause = dvc_pull.probe_remote(f"https://127.0.0.1:{port}/x", {})
        thread.join(5)
    assert cause is not None and cause.startswith(f"TLS handshake with 127.0.0.1:{port} failed")


# ----- issue 15: stage outputs that `dvc repro` regenerates are not pulled ------------------

STAGE_DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [data/train.csv, train.py]
    outs: [models/model.txt]
    metrics:
      - metrics.json:
          cache: false
"""
STAGE_TRAIN_PY = """\
import json, pathlib
pathlib.Path("models").mkdir(exist_ok=True)
pathlib.Path("models/model.txt").write_text("a model\\n")
json.dump({"accuracy": 0.9}, open("metrics.json", "w"))
"""


@pytest.fixture
def pipeline_project(tmp_path: Path) -> Path:
    """A pushed dvc.yaml pipeline (its model output pushed too), as a fresh clone."""
    from dvc.repo import Repo

    root = make_dvc_project(
        tmp_path / "proj", remote_dir=tmp_path / "remote",
        data_frame_or_csv_text="a,target\n1,0\n2,1\n",
        extra_files={"dvc.yaml": STAGE_DVC_YAML, "train.py": STAGE_TRAIN_PY},
    )  # fmt: skip
    with contextlib.chdir(root), Repo(str(root)) as repo:
        repo.reproduce()
        repo.push()
    from tests.helpers.dvcproject import git

    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "dvc.lock")
    drop_local_data(root, (DATA, "models/model.txt"))
    return root


def test_pull_skips_stage_outputs_that_dvc_repro_regenerates(
    pipeline_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(pipeline_project)
    assert main(["pull"]) == 0
    out = capsys.readouterr().out
    assert (pipeline_project / DATA).exists()
    assert not (pipeline_project / "models/model.txt").exists(), "dvc repro makes it again"
    assert "skipped 1 output of dvc.yaml stages, which `dvc repro` regenerates" in out, out
    assert "models/model.txt" in out and "--all" in out


def test_pull_all_pulls_stage_outputs_too(
    pipeline_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(pipeline_project)
    assert main(["pull", "--all"]) == 0
    assert (pipeline_project / "models/model.txt").read_text() == "a model\n"
    (pipeline_project / "models/model.txt").unlink()
    (pipeline_project / "mlgate.yaml").write_text("pull: {all: true}\n", encoding="utf-8")
    assert main(["pull"]) == 0
    assert (pipeline_project / "models/model.txt").exists()


def test_pull_keeps_stage_outputs_when_training_is_not_dvc_repro(
    pipeline_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a `train:` section the pipeline is not reproduced: its outputs are data to pull."""
    monkeypatch.chdir(pipeline_project)
    (pipeline_project / "mlgate.yaml").write_text(
        "train: {command: python other.py}\n", encoding="utf-8")
    assert main(["pull"]) == 0
    assert (pipeline_project / "models/model.txt").exists()


def test_action_input_pull_all_passes_all(tmp_path: Path) -> None:
    from mlgate.cli import action as cli_action

    (tmp_path / ".dvc").mkdir()
    assert cli_action.step_argv("pull", {"IN_PULL": "all"}, tmp_path)[-1] == "--all"
    assert "--all" not in cli_action.step_argv("pull", {"IN_PULL": "true"}, tmp_path)
    assert cli_action.pull_skipped({"IN_PULL": "all"}, tmp_path) is None

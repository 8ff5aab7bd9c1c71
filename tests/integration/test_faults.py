"""Issue 21 ("the gate fails closed, round 2"): faults of outside systems and hostile values.

- 7: credentials in a DVC remote URL are never shown: not in the pull log, the "unreachable"
  error, nor ``failed-step.json`` (and so not in the PR comment or the check run).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from mlgate.cli import action as cli_action
from mlgate.failure import FAILED_STEP_FILE, FailedStep, LogTail
from tests.helpers.dvcproject import add_dvc_remote, drop_local_data, make_dvc_project

pytestmark = pytest.mark.filterwarnings("ignore:_NoneStep:DeprecationWarning")

DATA = "data/train.csv"
EXTRA_TEXT = "a,b\n1,2\n3,4\n"
SECRET = "s3cr3tPassw0rd"
TOKEN = "tok3nValue42"
SIGNATURE = "abcdef0123456789sig"


def _closed_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ----- 7: credentials in a remote URL ---------------------------------------------------------


def test_redact_url_hides_userinfo_and_secret_query_values() -> None:
    from mlgate.errors import redact_secrets, redact_url

    url = (f"https://user:{SECRET}@host.example/store?token={TOKEN}&region=eu"
           f"&X-Amz-Signature={SIGNATURE}&X-Amz-Credential=AKIAX")
    shown = redact_url(url)
    for secret in (SECRET, TOKEN, SIGNATURE, "AKIAX", "user:"):
        assert secret not in shown, shown
    assert shown.startswith("https://***@host.example/store?")
    assert "region=eu" in shown, "a harmless query value stays readable"
    assert redact_url("https://host.example/store") == "https://host.example/store"
    assert redact_url("/local/dir") == "/local/dir"
    assert redact_url("s3://bucket/store") == "s3://bucket/store"
    text = f"fetching from 'https://u:{SECRET}@h/x?sig={SIGNATURE}' failed (ssh://git:{TOKEN}@h)"
    shown = redact_secrets(text)
    assert SECRET not in shown and SIGNATURE not in shown and TOKEN not in shown
    assert shown.startswith("fetching from 'https://***@h/x?sig=***' failed")


def test_failed_step_record_redacts_urls() -> None:
    url = f"https://user:{SECRET}@host/store?token={TOKEN}"
    tail = LogTail()
    tail.feed(f"pull: fetching from {url}\n".encode())
    record = FailedStep(step="pull", exit_code=3, command=f"dvc pull {url}",
                        message=f"unreachable ({url})", log_tail=tail.result())
    text = json.dumps(record.to_json())
    assert SECRET not in text and TOKEN not in text
    loaded = FailedStep.from_json({"step": "pull", "exit_code": 3, "message": url,
                                   "log_tail": [url], "command": url})
    assert loaded is not None
    assert SECRET not in json.dumps(loaded.to_json()), "an older record is redacted on read"


def test_pull_with_credentials_in_an_unreachable_remote_url_never_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    root = make_dvc_project(
        tmp_path / "proj", remote_dir=tmp_path / "remote", data_frame_or_csv_text=EXTRA_TEXT
    )
    drop_local_data(root, (DATA,))
    port = _closed_port()
    url = f"https://user:{SECRET}@127.0.0.1:{port}/store?token={TOKEN}"
    add_dvc_remote(root, "store", url, default=True)
    monkeypatch.chdir(root)
    env = {"GITHUB_OUTPUT": str(tmp_path / "out.txt")}
    assert cli_action.run_step("pull", env, root) == 3
    captured = capfd.readouterr()
    shown = captured.out + captured.err
    assert "unreachable" in shown and f"127.0.0.1:{port}" in shown
    assert SECRET not in shown and TOKEN not in shown, shown
    record = (root / ".mlgate" / FAILED_STEP_FILE).read_text(encoding="utf-8")
    assert "unreachable" in record
    assert SECRET not in record and TOKEN not in record, record

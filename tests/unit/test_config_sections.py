"""mlgate.yaml's `report:` and `deploy:` sections: parsed once at load into typed objects,
the command-line values merged in one place (config.py), errors naming the key (exit 2)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlgate.config import Config, Paths, ReportSettings, load_config, parse_config
from mlgate.core.drift_config import DriftThresholds
from mlgate.deploy.config import DEFAULT_MODEL_PATH, DeployConfig
from mlgate.errors import UsageError


def test_report_section_is_typed_and_flags_win() -> None:
    config = parse_config({"report": {"name": " churn ", "template": "ci/r.md.j2"}})
    assert config.report == ReportSettings(name=" churn ", template="ci/r.md.j2")
    assert config.report_name(None) == "churn"
    assert config.report_name("other") == "other"
    assert config.report_template(None) == Path("ci/r.md.j2")
    assert config.report_template("mine.j2") == Path("mine.j2")
    assert Config().report == ReportSettings()
    assert (Config().report_name(None), Config().report_template(None)) == ("mlgate", None)


@pytest.mark.parametrize(("report", "where"), [
    ({"nme": "x"}, "mlgate.yaml: report"),
    ({"name": ""}, "mlgate.yaml: report.name"),
    ({"name": 3}, "mlgate.yaml: report.name"),
    ({"template": ["a"]}, "mlgate.yaml: report.template"),
])
def test_report_errors_name_the_key(report: dict, where: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_config({"report": report}, Path("mlgate.yaml"))
    assert err.value.where == where and err.value.exit_code == 2


def test_deploy_section_is_parsed_once_with_the_target_left_to_the_flags() -> None:
    config = parse_config({"deploy": {"stage": "staging", "model": "out/m.pkl"}},
                          Path("ci/mlgate.yaml"))
    assert isinstance(config.deploy, DeployConfig)
    assert (config.deploy.target, config.deploy.stage, config.deploy.model) == (
        None, "staging", "out/m.pkl")
    with pytest.raises(UsageError, match="no deploy target") as err:
        config.deploy_settings()
    assert err.value.where == "mlgate.yaml: deploy.target" and err.value.exit_code == 2
    settings = config.deploy_settings(target="gto", version="v1.2.3")
    assert (settings.target, settings.stage, settings.version) == ("gto", "staging", "1.2.3")
    assert config.deploy_settings(target="gto", stage="prod").stage == "prod"
    with pytest.raises(UsageError, match="needs a command") as err:
        config.deploy_settings(target="command")
    assert err.value.where == "mlgate.yaml: deploy.command"
    assert config.deploy_settings(target="command", command="./ship.sh").command == "./ship.sh"


def test_no_deploy_section_is_none_and_flags_alone_can_deploy() -> None:
    config = parse_config({})
    assert config.deploy is None
    with pytest.raises(UsageError, match="no deploy target"):
        config.deploy_settings()
    assert config.deploy_settings(target="github-release").target == "github-release"
    assert parse_config({"deploy": None}).deploy is None
    assert parse_config({"deploy": {}}).deploy == DeployConfig()


@pytest.mark.parametrize(("deploy", "where"), [
    ({"target": "s3"}, "mlgate.yaml: deploy.target"),
    ({"target": "gto", "bump": "huge"}, "mlgate.yaml: deploy.bump"),
    ({"target": "gto", "registry": "gto"}, "mlgate.yaml: deploy.registry"),
    ({"command": "", "target": "command"}, "mlgate.yaml: deploy.command"),
    ({"model": ["a"]}, "mlgate.yaml: deploy.model"),
    ({"colour": "red"}, "mlgate.yaml: deploy"),
    ("gto", "mlgate.yaml: deploy"),
])
def test_deploy_errors_at_load_name_the_key(deploy: object, where: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_config({"deploy": deploy}, Path("mlgate.yaml"))
    assert err.value.where == where and err.value.exit_code == 2


def test_deploy_model_is_deploy_model_when_set_else_the_trained_model(tmp_path: Path) -> None:
    paths = Paths(root=tmp_path, out=tmp_path / ".mlgate")
    trained = parse_config({"deploy": {"target": "gto"}}).deploy_settings()
    assert paths.deploy_model(trained) == paths.model_file
    assert trained.model_path == DEFAULT_MODEL_PATH
    own = parse_config({"deploy": {"target": "gto", "model": "out/m.pkl"}}).deploy_settings()
    assert paths.deploy_model(own) == tmp_path / "out/m.pkl"
    absolute = parse_config({"deploy": {"target": "gto", "model": str(tmp_path / "m")}})
    assert paths.deploy_model(absolute.deploy_settings()) == tmp_path / "m"


def test_drift_section_is_typed() -> None:
    config = parse_config({"drift": {"psi": 0.3, "features": ["*", "!id"]}})
    assert config.drift == DriftThresholds(psi=0.3, features=("*", "!id"))
    assert Config().drift == DriftThresholds()


def test_a_config_without_deploy_does_not_import_the_deploy_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compare loads mlgate.yaml on every PR: the deploy package is loaded only for a
    `deploy:` section (restored afterwards, so other tests keep the one module)."""
    monkeypatch.delitem(sys.modules, "mlgate.deploy.config")
    (tmp_path / "mlgate.yaml").write_text("thresholds:\n  accuracy: {min: 0.5}\n"
                                          "report: {name: r}\n", encoding="utf-8")
    load_config(None, tmp_path)
    assert "mlgate.deploy.config" not in sys.modules

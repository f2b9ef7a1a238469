"""Node types come through the `flowctl.nodes` entry points, built-ins and plugins alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REGISTRY, ROOT
from tests.plugins.installing import fake_distribution, pip_install

PLUGIN = Path(__file__).parent / "flowctl-slack"
BUILTINS = {
    "branch",
    "delay",
    "filter",
    "goal",
    "send_message",
    "split",
    "update_contact",
    "wait_for_event",
    "webhook",
}

FLOW = """\
version: 1
name: team-ping
start: ping
nodes:
  ping:
    type: slack_notify
    config: {channel: growth, text: a VIP converted}
"""


def flowctl(*args: str, pythonpath: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "flowctl", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_builtins_register_through_the_entry_point_group() -> None:
    registry = REGISTRY
    assert set(registry.names()) == BUILTINS
    for name in BUILTINS:
        registration = registry.registration(name)
        assert registration is not None and registration.distribution == "flowctl"


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_install(PLUGIN, tmp_path_factory.mktemp("site"))


def test_an_installed_plugin_validates_lists_and_joins_the_schema(
    installed_plugin: Path, tmp_path: Path
) -> None:
    (tmp_path / "ping.yaml").write_text(FLOW)
    result = flowctl("validate", "ping.yaml", pythonpath=installed_plugin, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ping.yaml:7:23: error: node 'ping' (slack_notify): config.channel: must start" in (
        result.stdout
    )
    (tmp_path / "ping.yaml").write_text(FLOW.replace("channel: growth", "channel: '#growth'"))
    assert (
        flowctl("validate", "ping.yaml", pythonpath=installed_plugin, cwd=tmp_path).returncode == 0
    )
    listing = flowctl("nodes", pythonpath=installed_plugin, cwd=tmp_path).stdout
    assert "slack_notify" in listing and "flowctl-slack" in listing
    schema = flowctl("schema", pythonpath=installed_plugin, cwd=tmp_path).stdout
    assert '"config:slack_notify"' in schema
    stale = flowctl(
        "schema",
        "--check",
        str(ROOT / "schemas" / "flow.schema.json"),
        pythonpath=installed_plugin,
        cwd=tmp_path,
    )
    assert stale.returncode == 1


def test_two_plugins_claiming_one_type_name_is_a_clear_error(tmp_path: Path) -> None:
    fake_distribution(
        tmp_path,
        "flowctl-goals",
        "goal = goals_again:Goal",
        "goals_again",
        "from flowctl.nodes.goal import Goal\n",
    )
    result = flowctl("validate", str(ROOT / "flows"), pythonpath=tmp_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "node type 'goal' is registered twice" in result.stderr
    assert "'flowctl'" in result.stderr and "'flowctl-goals'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_that_fails_to_import_is_named(tmp_path: Path) -> None:
    fake_distribution(
        tmp_path,
        "flowctl-broken",
        "broken = broken_node:Broken",
        "broken_node",
        "import no_such_module_anywhere\n",
    )
    result = flowctl("nodes", pythonpath=tmp_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "from distribution 'flowctl-broken' failed to import" in result.stderr
    assert "ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_whose_check_crashes_is_a_diagnostic(tmp_path: Path) -> None:
    fake_distribution(
        tmp_path,
        "flowctl-crashy",
        "crashy = crashy_node:Crashy",
        "crashy_node",
        "from flowctl.nodes.base import NodeType\n"
        "class Crashy(NodeType):\n"
        "    name = 'crashy'\n"
        "    summary = 'Crashes in check.'\n"
        "    def check(self, node):\n"
        "        raise RuntimeError('boom')\n",
    )
    (tmp_path / "f.yaml").write_text("version: 1\nname: c\nstart: a\nnodes:\n  a: {type: crashy}\n")
    result = flowctl("validate", "f.yaml", pythonpath=tmp_path, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "f.yaml:5:3: error: node 'a' (crashy): the checks of node type 'crashy' (from "
        "'flowctl-crashy') crashed: RuntimeError: boom [plugin-check-failed]" in result.stdout
    )

"""`flowctl graph FLOW`: Mermaid and DOT of the bundled flows (golden files), SVG through
Graphviz when it is installed, and diagnostics instead of a graph for an invalid flow."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.nodes.base import ExitKind
from flowctl.render.graph import FlowGraph, GraphEdge, GraphNode, dot, mermaid
from tests.conftest import FIXTURES, FLOWS, bundled_flows

GOLDEN = FIXTURES / "golden" / "graph"
BUNDLED = bundled_flows()
SUFFIX = {"mermaid": "mmd", "dot": "dot"}


def graph(runner: CliRunner, *args: str):
    return runner.invoke(app, ["graph", *args])


@pytest.mark.parametrize("output_format", SUFFIX)
@pytest.mark.parametrize("flow", BUNDLED, ids=lambda path: path.stem)
def test_bundled_flows_match_golden_graphs(
    runner: CliRunner, flow: Path, output_format: str
) -> None:
    result = graph(runner, str(flow), "--format", output_format)
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{flow.stem}.{SUFFIX[output_format]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_mermaid_is_the_default_and_output_goes_to_a_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "flow.mmd"
    result = graph(runner, str(FLOWS / "post-purchase.yaml"), "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text() == (GOLDEN / "post-purchase.mmd").read_text()


def test_invalid_flow_gets_diagnostics_not_a_graph(runner: CliRunner) -> None:
    result = graph(runner, str(FIXTURES / "invalid" / "cycle.yaml"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "this exit closes a cycle: a -> b -> a [cycle]" in result.stderr
    assert "cycle.yaml is invalid; only a valid flow is drawn" in result.stderr


def test_missing_flow_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = graph(runner, str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: No such file or directory" in result.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_through_graphviz(runner: CliRunner) -> None:
    result = graph(runner, str(FLOWS / "ab-test-subject.yaml"), "--format", "svg")
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("<?xml")
    assert "<svg" in result.stdout and "split_subject" in result.stdout


def test_svg_without_graphviz_exits_2_with_advice(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    result = graph(runner, str(FLOWS / "ab-test-subject.yaml"), "--format", "svg")
    assert result.exit_code == 2
    assert "install Graphviz (e.g. apt-get install graphviz" in result.stderr
    assert "or use --format dot" in result.stderr


def test_ids_and_labels_that_would_break_the_syntax_are_safe() -> None:
    drawn = FlowGraph(
        name='odd "name"',
        start="end",
        nodes=(
            GraphNode("end", "send_message", ExitKind.SINGLE),
            GraphNode("a-b", 'x"<y>', ExitKind.NAMED),
        ),
        edges=(
            GraphEdge("end", None, "a-b"),
            GraphEdge("a-b", 'say "hi"', None),
            GraphEdge("a-b", "#quot;\nnext", None),
        ),
    )
    assert mermaid(drawn).splitlines()[2:] == [
        '    n1["end<br/>send_message"]',
        '    n2{"a-b<br/>x#quot;#lt;y#gt;"}',
        "    flow_end((end))",
        "    flow_start --> n1",
        "    n1 --> n2",
        '    n2 -->|"say #quot;hi#quot;"| flow_end',
        '    n2 -->|"#35;quot;\\nnext"| flow_end',  # a line break shown escaped
    ]
    shown = dot(drawn)
    assert shown.startswith('digraph "odd \\"name\\"" {')
    assert '    "a-b" [shape=diamond, label="a-b\\nx\\"<y>"];' in shown
    assert '    "a-b" -> "(end)" [label="say \\"hi\\""];' in shown

"""`flowctl graph FLOW`: draw a valid flow as Mermaid, Graphviz DOT or SVG."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import typer

from flowctl.cli._errors import error_handler
from flowctl.errors import UsageError
from flowctl.render.graph import GraphFormat

INSTALL_GRAPHVIZ = (
    "--format svg needs Graphviz's 'dot' command: install Graphviz "
    "(e.g. apt-get install graphviz, brew install graphviz) or use --format dot"
)


def render_svg(dot_text: str) -> str:
    """SVG from Graphviz's `dot`; a usage error when it is not installed or fails."""
    executable = shutil.which("dot")
    if executable is None:
        raise UsageError(INSTALL_GRAPHVIZ)
    done = subprocess.run(
        [executable, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise UsageError(f"Graphviz's dot failed: {done.stderr.strip()}")
    return done.stdout


def graph(
    flow: str = typer.Argument(..., metavar="FLOW", help="The flow file, or '-' for stdin."),
    output_format: GraphFormat = typer.Option(
        GraphFormat.MERMAID, "--format", "-f", help="mermaid, dot, or svg (needs Graphviz)."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the graph to FILE, not stdout."
    ),
) -> None:
    """Draw a valid flow as Mermaid, DOT or SVG; an invalid one gets its diagnostics (exit 1).

    Nodes are labelled with their id and type, edges with their exit names.
    """
    from flowctl.cli._flows import report_verdict
    from flowctl.compose import compose
    from flowctl.loading.sources import display_name, file_error
    from flowctl.render import graph as render
    from flowctl.validation.flow_file import check_flow, read_flow

    with error_handler():
        name, parts = display_name(flow), compose()
        source = read_flow(flow, parts.validator.limits)
        checked = check_flow(source, name, parts.validator, parts.config)
        report_verdict(checked, name, "only a valid flow is drawn", "drawn")
        assert checked.data is not None  # report_verdict stops a flow without one
        drawn = render.flow_graph(checked.data, checked.registry)
        text = render.mermaid(drawn) if output_format is GraphFormat.MERMAID else render.dot(drawn)
        if output_format is GraphFormat.SVG:
            text = render_svg(text)
        if output is None:
            sys.stdout.write(text)
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise file_error(output, exc) from None

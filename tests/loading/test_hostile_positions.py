"""Positions: every reported line and column lies inside the file, in every format, whatever
its line ends (LF, CRLF, CR-only) and whether or not it ends with a line break."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.loading.positions import source_lines
from tests.conftest import FLOWS, VALIDATOR, run_bounded

FLOW_TEXTS = [path.read_text(encoding="utf-8") for path in sorted(FLOWS.glob("*.yaml"))]
ENDS = st.sampled_from(["\n", "\r\n", "\r"])


def inside(text: str, line: int, column: int) -> bool:
    lines = source_lines(text)
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.sampled_from(FLOW_TEXTS), st.floats(0, 1), ENDS, st.booleans())
def test_a_cut_flow_reports_only_positions_inside_the_file(
    text: str, cut: float, end: str, final_break: bool
) -> None:
    cut_text = text[: int(len(text) * cut)].rstrip("\n").replace("\n", end)
    source = cut_text + end if final_break else cut_text
    result = VALIDATOR.validate_source(source.encode(), "cut.yaml")
    for d in result.diagnostics:
        assert inside(source, d.line, d.column), (d, source_lines(source)[-1:])
        assert d.end_line is None or inside(source, d.end_line, d.end_column or 1), d


def test_cr_only_line_ends_give_the_lines_an_editor_shows(tmp_path: Path) -> None:
    flow = tmp_path / "mac.yaml"
    # a forbidden character on line 3, lines ended by CR alone
    flow.write_bytes(
        b"version: 1\rname: x\rstart: a # \x01\rnodes:\r  a: {type: goal, config: {name: g}}\r"
    )
    ran = run_bounded("validate", "--format", "json", flow.name, cwd=tmp_path)
    (found,) = json.loads(ran.stdout)["files"][0]["diagnostics"]
    assert (found["rule"], found["line"], found["column"]) == ("yaml-syntax", 3, 12)
    text = run_bounded("validate", flow.name, cwd=tmp_path).stdout
    assert "    3 | start: a # \\x01" in text


FORMAT_POSITIONS = {
    "json": lambda out: [(d["line"], d["column"]) for f in json.loads(out)["files"]
                         for d in f["diagnostics"]],
    "sarif": lambda out: [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
                           r["locations"][0]["physicalLocation"]["region"]["startColumn"])
                          for r in json.loads(out)["runs"][0]["results"]],
    "github": lambda out: [(int(m[1]), int(m[2] or 1)) for m in
                           re.finditer(r"^::\w+ file=[^,]*,line=(\d+),endLine=\d+(?:,col=(\d+))?",
                                       out, re.MULTILINE)],
    "text": lambda out: [(int(m[1]), int(m[2])) for m in
                         re.finditer(r"^eof\.yaml:(\d+):(\d+): ", out, re.MULTILINE)],
}  # fmt: skip


def test_an_error_at_the_end_of_a_file_without_final_newline_is_on_its_last_line(
    tmp_path: Path,
) -> None:
    source = "version: 1\nname: x\nstart: a\nnodes:\n  a: {type: goal"
    (tmp_path / "eof.yaml").write_text(source, encoding="utf-8")
    for output_format, positions in FORMAT_POSITIONS.items():
        ran = run_bounded("validate", "--format", output_format, "eof.yaml", cwd=tmp_path)
        assert ran.code == 1
        found = positions(ran.stdout)
        assert found == [(5, 17)], (output_format, ran.stdout)

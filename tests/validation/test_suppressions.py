"""Inline suppressions: `# flowctl: ignore[RULE, ...]` on the offending line or on the line of the
node's id; comments that silence nothing are reported as `invalid-suppression`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app

FLOW = """\
version: 1
name: quiet
start: a
nodes:
  a:
    type: delay
    config: {{duration: 1d}}
    next: {next_a}
  b: {{type: goal, config: {{name: x}}}}{comment_b}
"""


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)

    def write(text: str) -> str:
        (tmp_path / "flow.yaml").write_text(text)
        return "flow.yaml"

    return write


def found(runner: CliRunner, path: str, *args: str) -> tuple[int, list[tuple[str, int, str]]]:
    result = runner.invoke(app, ["validate", "--format", "json", *args, path])
    diagnostics = json.loads(result.stdout)["files"][0]["diagnostics"]
    return result.exit_code, [(d["rule"], d["line"], d["message"]) for d in diagnostics]


def flow(next_a: str = "b", comment_b: str = "") -> str:
    return FLOW.format(next_a=next_a, comment_b=comment_b)


def test_unsuppressed_problems_are_reported(runner: CliRunner, write) -> None:
    code, diagnostics = found(runner, write(flow(next_a="bb")))
    assert code == 1
    assert [(rule, line) for rule, line, _ in diagnostics] == [
        ("dangling-edge", 8),
        ("unreachable-node", 9),
    ]


def test_comment_on_the_offending_line(runner: CliRunner, write) -> None:
    text = flow(next_a="bb  # flowctl: ignore[dangling-edge]")
    assert found(runner, write(text))[1] == [
        ("unreachable-node", 9, "node 'b' is never reached: no path from start leads to it")
    ]


def test_comment_on_the_node_line_covers_the_whole_node(runner: CliRunner, write) -> None:
    text = flow(next_a="bb").replace("  a:\n", "  a:  # flowctl: ignore[dangling-edge]\n")
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == ["unreachable-node"]


def test_several_ids_in_one_comment(runner: CliRunner, write) -> None:
    text = flow(next_a="bb", comment_b="  # flowctl: ignore[unreachable-node,  cycle]")
    text = text.replace("next: bb", "next: bb  # flowctl:ignore[dangling-edge]")
    assert found(runner, write(text)) == (0, [])


def test_a_comment_silences_only_the_rules_it_names(runner: CliRunner, write) -> None:
    text = flow(next_a="bb  # flowctl: ignore[unreachable-node]")
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == [
        "dangling-edge",
        "unreachable-node",
    ]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("# flowctl: ignore", "a suppression must name its rules: '# flowctl: ignore[RULE, ...]'"),
        ("# flowctl: ignore[]", "a suppression must name its rules"),
        (
            "# flowctl: ignore[unreachable-nod]",
            "the suppression names unknown rule 'unreachable-nod'; "
            "did you mean 'unreachable-node'?",
        ),
        ("# flowctl: ingore[unreachable-node]", "unknown flowctl directive 'ingore'; did you mean"),
        ("# flowctl: ignore [unreachable-node]", "no space may stand between 'ignore' and '['"),
        ("# flowctl: ignore[unreachable-node", "the rule list is not closed with ']'"),
        ("# flowctl ignore[unreachable-node]", "a suppression needs a colon after 'flowctl'"),
        ("# FLOWCTL: ignore[unreachable-node]", "write 'flowctl' in lower case"),
    ],
)
def test_comments_that_silence_nothing_are_reported(
    runner: CliRunner, write, comment: str, message: str
) -> None:
    code, diagnostics = found(runner, write(flow(comment_b="  " + comment)))
    assert code == 0  # a warning
    assert ("invalid-suppression", 9) in [(rule, line) for rule, line, _ in diagnostics]
    assert any(message in text for rule, _, text in diagnostics if rule == "invalid-suppression")


def test_invalid_suppression_points_at_the_comment(runner: CliRunner, write) -> None:
    text = flow(comment_b="  # flowctl: ignore[nope]")
    result = runner.invoke(app, ["validate", "--format", "json", write(text)])
    (bad,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    comment = text.splitlines()[8].index("#")
    assert (bad["rule"], bad["severity"]) == ("invalid-suppression", "warning")
    assert (bad["line"], bad["column"], bad["end_column"]) == (9, comment + 1, comment + 24)


def test_a_misspelt_directive_silences_nothing(runner: CliRunner, write) -> None:
    text = flow(next_a="bb  # flowctl: ingore[dangling-edge]")
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == [
        "dangling-edge",
        "invalid-suppression",
        "unreachable-node",
    ]


def test_a_known_id_next_to_an_unknown_one_still_silences(runner: CliRunner, write) -> None:
    text = flow(comment_b="  # flowctl: ignore[unreachable-node, nope]")
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == ["invalid-suppression"]


def test_text_in_strings_and_other_comments_is_no_suppression(runner: CliRunner, write) -> None:
    text = flow(next_a="bb") + "# see flowctl: ignore[dangling-edge] in the docs\n"
    text = text.replace("name: quiet", 'name: quiet\ndescription: "x#flowctl: ignore[cycle]"')
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == [
        "dangling-edge",
        "unreachable-node",
    ]


def test_config_can_ignore_invalid_suppression_and_strict_fails_on_it(
    runner: CliRunner, write, tmp_path: Path
) -> None:
    path = write(flow(comment_b="  # flowctl: ignore[nope]"))
    assert found(runner, path, "--strict")[0] == 1
    (tmp_path / ".flowctl.toml").write_text('ignore = ["invalid-suppression"]\n')
    assert found(runner, path, "--strict") == (0, [])


def test_suppressions_in_a_file_that_does_not_parse(runner: CliRunner, write) -> None:
    text = "version: 1\nnodes: {a: b\nname: x  # flowctl: ignore[yaml-syntax]\n"
    assert found(runner, write(text)) == (0, [])
    assert found(runner, write(text.replace("yaml-syntax", "schema")))[1][0][:2] == (
        "yaml-syntax",
        3,
    )


def test_near_miss_suppressions_silence_nothing(runner: CliRunner, write) -> None:
    for comment in (
        "# flowctl: ignore [unreachable-node]",
        "# FLOWCTL: ignore[unreachable-node]",
        "# flowctl ignore[unreachable-node]",
        "# flowctl: ignore[unreachable-node",
    ):
        text = flow(next_a="null", comment_b="  " + comment)  # b is unreachable
        rules = [rule for rule, _, _ in found(runner, write(text))[1]]
        assert rules == ["unreachable-node", "invalid-suppression"], comment


def test_prose_about_flowctl_is_no_suppression(runner: CliRunner, write) -> None:
    text = flow(next_a="null", comment_b="  # flowctl is run in CI; see docs")
    assert [rule for rule, _, _ in found(runner, write(text))[1]] == ["unreachable-node"]


def test_a_suppression_inside_a_quoted_or_block_string_is_text(runner: CliRunner, write) -> None:
    # The dangling edge is reported on this very line, inside the string that looks like a
    # suppression: only telling strings from comments keeps it from being silenced.
    quoted = flow(next_a='"bb # flowctl: ignore[dangling-edge]"')
    assert [rule for rule, _, _ in found(runner, write(quoted))[1]] == [
        "dangling-edge", "unreachable-node"
    ]  # fmt: skip
    # A misspelt directive inside a block string is text: no invalid-suppression for it.
    block = flow().replace(
        "config: {duration: 1d}",
        "description: |\n      # flowctl: ingore[dangling-edge]\n    config: {duration: 1d}",
    )
    assert found(runner, write(block)) == (0, [])


def test_a_comment_after_a_block_strings_indicator_is_a_comment(runner: CliRunner, write) -> None:
    text = flow(next_a=">-  # flowctl: ignore[dangling-edge]\n      nowhere")
    rules = [rule for rule, _, _ in found(runner, write(text))[1]]
    assert rules == ["unreachable-node"]  # the dangling 'nowhere' is silenced


def test_a_comment_cannot_silence_its_own_report(runner: CliRunner, write) -> None:
    text = flow(
        next_a="null", comment_b="  # flowctl: ignore[bogus, invalid-suppression, unreachable-node]"
    )
    assert [(rule, message) for rule, _, message in found(runner, write(text))[1]] == [
        ("invalid-suppression", "the suppression names unknown rule 'bogus'; "
         "run 'flowctl rules' to list them"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        # A tab that libyaml accepts, earlier in the file: strings after it are still strings.
        "version: 1\nname:\tquiet\nstart: a\nnodes:\n  a:\n    type: delay\n"
        '    config: {duration: 1d}\n    next: "bb # flowctl: ignore[dangling-edge]"\n',
        # A no-break space before `#` does not start a YAML comment: this is plain text.
        flow(next_a="bb\u00a0#\u00a0flowctl:\u00a0ignore[dangling-edge]"),
    ],
    ids=["tab-earlier", "no-break-space"],
)
def test_look_alikes_that_are_text_never_suppress(runner: CliRunner, write, text: str) -> None:
    rules = [rule for rule, _, _ in found(runner, write(text))[1]]
    assert "dangling-edge" in rules

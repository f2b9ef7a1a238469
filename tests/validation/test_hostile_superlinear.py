"""Super-linear work: inputs that once took quadratic or exponential time, or grew without a
bound on expansion, now finish fast with a diagnostic or a refusal. Each input is small enough
to run in well under a second once fixed and large enough that the old behaviour would blow the
subprocess timeout (or the output bound)."""

from __future__ import annotations

import json
from pathlib import Path

from flowctl.loading.sources import MAX_FILE_BYTES
from flowctl.simulate.dry_run import MAX_TRACE_CHARS
from tests.conftest import run_bounded

HEAD = "version: 1\nname: f\nstart: n0\n"


def test_unclosed_reference_braces_are_scanned_once(tmp_path: Path) -> None:
    braces = "{{" * 100_000  # 200 KB: the regex scan took minutes
    flow = tmp_path / "braces.yaml"
    flow.write_text(
        HEAD + "nodes:\n  n0:\n    type: send_message\n"
        f"    config: {{channel: email, template_id: t, params: {{x: '{braces}'}}}}\n",
        encoding="utf-8",
    )
    ran = run_bounded("validate", flow.name, cwd=tmp_path)
    assert ran.code == 1
    assert "opens a reference with '{{' but never closes it" in ran.stdout


def test_aliases_of_long_values_have_a_budget(tmp_path: Path) -> None:
    long_value = "x" * 50_000
    aliases = ", ".join(["*big"] * 1_000)  # a 56 KB file that expands to 50 MB of text
    flow = tmp_path / "laughs.yaml"
    flow.write_text(
        f'{HEAD}x-big: &big "{long_value}"\nx-many: [{aliases}]\n'
        "nodes: {n0: {type: goal, config: {name: g}}}\n",
        encoding="utf-8",
    )
    ran = run_bounded("validate", "--format", "json", flow.name, cwd=tmp_path)
    assert ran.code == 1
    (found,) = json.loads(ran.stdout)["files"][0]["diagnostics"]
    assert found["rule"] == "yaml-limits"
    assert found["message"] == (
        f"aliases expand the document to more than {MAX_FILE_BYTES:,} characters"
    )
    assert found["line"] == 5  # at the alias that went over


def test_per_path_globs_do_not_backtrack(tmp_path: Path) -> None:
    (tmp_path / ".flowctl.toml").write_text(
        '[per-path-ignores]\n"' + "**a" * 12 + '**b" = ["unreachable-node"]\n', encoding="utf-8"
    )
    flow = tmp_path / ("a" * 200 + ".yaml")
    flow.write_text(HEAD + "nodes: {n0: {type: goal, config: {name: g}}}\n", encoding="utf-8")
    ran = run_bounded("validate", flow.name, cwd=tmp_path)
    assert ran.code == 0, ran.output


def test_a_dry_run_whose_trace_would_be_too_long_says_so(tmp_path: Path) -> None:
    count = 120
    nodes = "".join(
        f"  n{i}: {{type: send_message, config: {{channel: email, template_id: t, "
        f"params: {{body: 'Hi {{{{ attributes.bio }}}}!'}}}}, next: n{i + 1}}}\n"
        for i in range(count)
    )
    flow = tmp_path / "echo.yaml"
    flow.write_text(
        f"{HEAD}nodes:\n{nodes}  n{count}: {{type: goal, config: {{name: g}}}}\n",
        encoding="utf-8",
    )
    bio = "b" * (MAX_TRACE_CHARS // count + 1_000)  # every step repeats it
    contact = tmp_path / "c.json"
    contact.write_text(json.dumps({"id": "c", "attributes": {"bio": bio}}), encoding="utf-8")
    for output_format in ("text", "json"):
        ran = run_bounded(
            "run", flow.name, "--dry-run", "--contact", contact.name, "--format", output_format,
            cwd=tmp_path,
        )  # fmt: skip
        assert ran.code == 2
        assert f"over the limit of {MAX_TRACE_CHARS:,}" in ran.stderr
        assert ran.stdout == ""


def test_deep_json_in_schema_check_is_refused(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    ran = run_bounded("schema", "--check", "deep.json", cwd=tmp_path)
    assert ran.code == 2
    assert "deep.json: the JSON nests deeper than 100 levels" in ran.stderr


def test_deep_set_paths_and_values_are_refused(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(HEAD + "nodes: {n0: {type: goal, config: {name: g}}}\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"id": "c"}', encoding="utf-8")
    deep_path = ".".join(["a"] * 5_000) + "=1"
    deep_value = "x=" + "[" * 50_000 + "]" * 50_000
    nested = "a." * 60 + "b=" + "[" * 60 + "]" * 60
    for setting, words in (
        (deep_path, "has 5,000 segments; attributes nest at most 100 levels deep"),
        (deep_value, "nests deeper than 100 levels"),
        (nested, "would nest the contact deeper than 100 levels"),
    ):
        ran = run_bounded(
            "run", flow.name, "--dry-run", "--contact", "c.json", "--set", setting, cwd=tmp_path
        )
        assert ran.code == 2, ran.output
        assert words in ran.stderr

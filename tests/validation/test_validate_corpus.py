"""Every invalid flow in tests/fixtures/invalid gives exactly the (rule, line) pairs it lists in
its trailing `# expect: RULE LINE` comments; every valid flow gives none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowctl.diagnostics.rules import RULES
from tests.conftest import FIXTURES, VALIDATOR, bundled_flows

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = bundled_flows() + sorted((FIXTURES / "valid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<rule>[a-z-]+) (?P<line>\d+)$", re.MULTILINE)


def expected(path: Path) -> list[tuple[str, int]]:
    text = path.read_text(encoding="utf-8")
    return sorted((m["rule"], int(m["line"])) for m in EXPECT.finditer(text))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_flow_reports_exactly_the_expected_rules_and_lines(path: Path) -> None:
    result = VALIDATOR.validate_source(path.read_bytes(), str(path))
    found = sorted((d.rule, d.line) for d in result.diagnostics)
    assert found == expected(path), "\n".join(
        f"{d.line}:{d.column} {d.rule}: {d.message}" for d in result.diagnostics
    )


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_flow_has_no_diagnostics(path: Path) -> None:
    result = VALIDATOR.validate_source(path.read_bytes(), str(path))
    assert result.diagnostics == ()


def test_the_corpus_covers_every_rule_but_plugin_crashes() -> None:
    covered = {rule for path in INVALID for rule, _ in expected(path)}
    # invalid-suppression comes after validation, from comments (tests/test_suppressions.py);
    # the test-* rules are `flowctl test`'s (tests/flowtests/test_rules.py).
    flow_tests = {"test-failed", "test-invalid", "test-coverage"}
    assert covered == set(RULES) - {"plugin-check-failed", "invalid-suppression", *flow_tests}


def test_every_diagnostic_carries_position_pointer_and_known_rule() -> None:
    for path in INVALID:
        for diagnostic in VALIDATOR.validate_source(path.read_bytes(), path.name).diagnostics:
            assert diagnostic.rule in RULES
            assert diagnostic.line >= 1 and diagnostic.column >= 1
            assert diagnostic.message and diagnostic.path == path.name


def test_a_non_string_type_is_one_schema_error_not_also_an_unknown_type() -> None:
    text = "version: 1\nname: x\nstart: a\nnodes:\n  a: {type: 5}\n"
    diagnostics = VALIDATOR.validate_source(text, "t.yaml").diagnostics
    assert [(d.rule, d.line, d.column) for d in diagnostics] == [("schema", 5, 13)]
    assert diagnostics[0].hint == 'quote it: type: "5"'


def test_yaml_1_1_surprises_are_explained_plain_numbers_are_not() -> None:
    text = (FIXTURES / "invalid" / "yaml11-traps.yaml").read_text()
    messages = [d.message for d in VALIDATOR.validate_source(text, "t.yaml").diagnostics]
    assert any("YAML reads the unquoted NO as boolean false" in m for m in messages)
    plain = text.replace("template_id: NO", "template_id: 123")
    messages = [d.message for d in VALIDATOR.validate_source(plain, "t.yaml").diagnostics]
    assert "node 'send' (send_message): config.template_id must be a string, not integer 123" in (
        messages
    )


def test_did_you_mean_hints_stop_after_fifty_missing_ids() -> None:
    nodes = "".join(
        f"  step_{i}: {{type: delay, config: {{duration: 1d}}, next: step_{i}x}}\n"
        for i in range(60)
    )
    text = f"version: 1\nname: x\nstart: step_0\nnodes:\n{nodes}"
    dangling = [
        d
        for d in VALIDATOR.validate_source(text, "t.yaml").diagnostics
        if d.rule == "dangling-edge"
    ]
    assert len(dangling) == 60
    assert sum(1 for d in dangling if d.hint) == 50


@pytest.mark.parametrize(
    ("value", "found"),
    [("null", "not null"), ("[a]", "not a list"), ("{a: 1}", "not a mapping"),
     ("true", "not boolean true")],
)  # fmt: skip
def test_a_wrong_type_names_what_was_found_once(value: str, found: str) -> None:
    text = (
        f"version: 1\nname: x\nstart: a\nnodes:\n  a: {{type: goal, config: {{name: {value}}}}}\n"
    )
    (diagnostic,) = VALIDATOR.validate_source(text, "t.yaml").diagnostics
    assert diagnostic.message.endswith(f"config.name must be a string, {found}")


def test_dates_in_free_form_values_are_reported_with_what_yaml_read() -> None:
    text = (FIXTURES / "invalid" / "yaml-dates.yaml").read_text()
    diagnostics = VALIDATOR.validate_source(text, "t.yaml").diagnostics
    assert [d.message.rsplit(" (found ", 1)[-1] for d in diagnostics] == [
        "date 2026-01-01)", "timestamp 2026-01-01 10:00:00)", "date 2026-01-01)"
    ]  # fmt: skip
    assert [d.hint for d in diagnostics] == [
        'quote it: launch_day: "2026-01-01"', 'quote it: signed_up: "2026-01-01 10:00:00"',
        'quote it: "2026-01-01"',
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("snippet", "warned"),
    [
        ("{attribute: country, in: [SE, NO, DK]}", True),
        ("{attribute: opted_in, equals: yes}", True),
        ("{attribute: email, exists: yes}", False),  # a boolean field: `yes` means true
        ("{attribute: email, exists: true}", False),
        ("{attribute: country, equals: 'NO'}", False),
    ],
)
def test_yaml_booleans_warn_only_where_text_would_do(snippet: str, warned: bool) -> None:
    text = (
        "version: 1\nname: x\nx-notes: {draft: yes}\nstart: a\nnodes:\n"
        f"  a: {{type: filter, config: {{condition: {snippet}}}}}\n"
    )
    rules = [d.rule for d in VALIDATOR.validate_source(text, "t.yaml").diagnostics]
    assert rules == (["yaml-boolean"] if warned else [])

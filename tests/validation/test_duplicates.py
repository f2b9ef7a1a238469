"""A repeated key points at its first copy in the same mapping (the `related` place JSON and
SARIF show), for generated nested mappings full of repeats, in block and flow style."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import VALIDATOR

KEYS = st.sampled_from(["a", "b", "c/d", "'e'", '"a"'])  # quoted "a" is the key a too


@dataclass
class Mapping:
    entries: list[tuple[str, Mapping | str]]


def mappings(depth: int) -> st.SearchStrategy[Mapping]:
    values: st.SearchStrategy[Mapping | str] = st.sampled_from(["1", "x", "[1, 2]"])
    if depth > 0:
        values = values | mappings(depth - 1)
    entries = st.lists(st.tuples(KEYS, values), min_size=1, max_size=5)
    return entries.map(Mapping)


def key_text(key: str) -> str:
    return key.strip("'\"")


def emit(mapping: Mapping, indent: int, lines: list[str], expected: set[tuple[int, int, int]]):
    """Block-style YAML; `expected` gets (line, column, first line) of every repeated key."""
    first: dict[str, int] = {}
    for key, value in mapping.entries:
        line = len(lines) + 1
        text = key_text(key)
        if text in first:
            expected.add((line, indent + 1, first[text]))
        else:
            first[text] = line
        if isinstance(value, Mapping):
            lines.append(" " * indent + f"{key}:")
            emit(value, indent + 2, lines, expected)
        else:
            lines.append(" " * indent + f"{key}: {value}")


@settings(max_examples=100, deadline=None)
@given(mappings(3))
def test_each_repeat_points_at_the_first_copy_in_its_mapping(tree: Mapping) -> None:
    lines: list[str] = []
    expected: set[tuple[int, int, int]] = set()
    emit(tree, 0, lines, expected)
    source = "\n".join(lines) + "\n"
    result = VALIDATOR.validate_source(source, "generated.yaml")
    repeats = [d for d in result.diagnostics if d.rule == "duplicate-key"]
    found = set()
    for repeat in repeats:
        (first,) = repeat.related
        found.add((repeat.line, repeat.column, first.line))
        assert f"(first at line {first.line})" in repeat.message
        shown = lines[first.line - 1][first.column - 1 : first.end_column - 1]
        assert key_text(shown) == key_text(lines[repeat.line - 1].split(":")[0].strip())
    assert found == expected, source


def test_flow_style_and_sequences_find_the_first_copy() -> None:
    source = "x-list:\n  - {k: 1, j: 2, k: 3}\n  - {k: 4}\nother: {k: 1, k: 2}\n"
    result = VALIDATOR.validate_source(source, "flow.yaml")
    found = {
        (d.pointer, d.column, d.related[0].column)
        for d in result.diagnostics
        if d.rule == "duplicate-key"
    }
    assert found == {("/x-list/0/k", 18, 6), ("/other/k", 15, 9)}

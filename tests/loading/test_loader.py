from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.diagnostics.findings import Diagnostic
from flowctl.loading import yaml_file as loader
from flowctl.loading.yaml_file import Document, Limits, LoadResult, Span, load
from tests.conftest import FIXTURES

FLOW = (FIXTURES / "loader" / "post_purchase.yaml").read_bytes()
PARSERS = [yaml.CSafeLoader, yaml.SafeLoader] if yaml.__with_libyaml__ else [yaml.SafeLoader]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(params=PARSERS, ids=lambda p: p.__name__)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type[Any]:
    """Run a test with the C parser and with the pure-Python one it falls back to."""
    monkeypatch.setattr(loader, "_PARSER", request.param)
    return request.param  # type: ignore[no-any-return]


def loaded(source: str | bytes) -> Document:
    result = load(source, "flow.yaml")
    assert result.diagnostics == ()
    assert result.document is not None
    return result.document


def only(result: LoadResult) -> Diagnostic:
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


def at(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return (diagnostic.rule, diagnostic.line, diagnostic.column)


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


# --- values and positions -------------------------------------------------------------------


def test_block_style_spans(parser: type[Any]) -> None:
    doc = loaded(FLOW)
    assert doc.path == "flow.yaml"
    assert doc.text == FLOW.decode()
    assert doc.data == yaml.safe_load(FLOW)
    assert doc.key_span(("version",)) == Span(2, 1, 2, 8)
    assert doc.value_span(("version",)) == Span(2, 10, 2, 11)
    assert doc.key_span(("nodes", "thank_you")) == Span(9, 3, 9, 12)
    # A block mapping starts at its first key and ends where the next sibling starts.
    assert doc.value_span(("nodes", "thank_you")) == Span(10, 5, 16, 3)
    assert doc.key_span(("nodes", "thank_you", "config", "template_id")) == Span(14, 7, 14, 18)
    assert doc.value_span(("nodes", "thank_you", "config", "template_id")) == Span(14, 20, 14, 29)


def test_flow_style_spans(parser: type[Any]) -> None:
    doc = loaded(FLOW)
    assert doc.key_span(("nodes", "wait_3d", "config")) == Span(18, 5, 18, 11)
    assert doc.value_span(("nodes", "wait_3d", "config")) == Span(18, 13, 18, 27)
    assert doc.key_span(("nodes", "wait_3d", "config", "duration")) == Span(18, 14, 18, 22)
    assert doc.value_span(("nodes", "wait_3d", "config", "duration")) == Span(18, 24, 18, 26)
    assert doc.value_span(("nodes", "bags_offer", "config", "channel")) == Span(31, 55, 31, 58)
    in_list = ("nodes", "by_category", "config", "cases", "bags", "in", 1)
    assert doc.value_span(in_list) == Span(25, 60, 25, 67)
    assert doc.key_span(in_list) == doc.value_span(in_list)  # a list item has no key


def test_both_parsers_give_the_same_data_and_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    def spans() -> tuple[Any, list[tuple[Span, Span]]]:
        doc = loaded(FLOW)
        return doc.data, [(doc.key_span(p), doc.value_span(p)) for p in paths(doc.data)]

    results = []
    for parser in PARSERS:
        monkeypatch.setattr(loader, "_PARSER", parser)
        results.append(spans())
    assert results[0] == results[-1]


def test_nested_lists() -> None:
    doc = loaded("a:\n  - [1, [2, 3]]\n  - - x\n    - y\n")
    assert doc.data == {"a": [[1, [2, 3]], ["x", "y"]]}
    assert doc.value_span(("a", 0, 1, 0)) == Span(2, 10, 2, 11)
    assert doc.value_span(("a", 1)) == Span(3, 5, 5, 1)
    assert doc.value_span(("a", 1, 1)) == Span(4, 7, 4, 8)


def test_value_span_falls_back_to_the_nearest_known_ancestor() -> None:
    doc = loaded("base: &b {x: {y: 1}}\nuse: *b\n")
    alias = Span(2, 6, 2, 8)
    assert doc.value_span(("use",)) == alias
    assert doc.value_span(("use", "x", "y")) == alias  # inside an alias: no spans of its own
    assert doc.data["use"] is doc.data["base"]  # an alias shares the anchored value
    assert doc.value_span(("base", "x", "nope", 3)) == doc.value_span(("base", "x"))
    assert doc.key_span(("use", "x")) == alias
    assert loaded("").value_span(("a",)) == Span(1, 1, 1, 1)


def test_spans_accept_any_sequence_as_path() -> None:
    doc = loaded(FLOW)
    assert doc.value_span(["nodes", "wait_3d"]) == doc.value_span(("nodes", "wait_3d"))


@pytest.mark.parametrize(
    ("source", "value", "raw"),
    [
        ("NO", False, "NO"),
        ("on", True, "on"),
        ("12:30", 750, "12:30"),
        ("2026-11-20", datetime.date(2026, 11, 20), "2026-11-20"),
        ("1.0e+3", 1000.0, "1.0e+3"),
        ("0o17", "0o17", None),  # YAML 1.1 octal is 017; 0o17 stays a string
        ("017", 15, "017"),
        ("1_000", 1000, "1_000"),
        ("~", None, "~"),
        ("", None, None),
        ("1e3", "1e3", None),  # YAML 1.1 floats need a dot: this is the string "1e3"
        ('"NO"', "NO", None),
        ("'12:30'", "12:30", None),
        ("!!str 12:30", "12:30", None),
        ("hello", "hello", None),
        ("|\n  NO", "NO\n", None),
    ],
)
def test_plain_scalar_explains_yaml_1_1_readings(source: str, value: Any, raw: str | None) -> None:
    doc = loaded(f"key: {source}\n")
    assert doc.data == {"key": value} == yaml.safe_load(f"key: {source}\n")
    assert doc.plain_scalar(("key",)) == raw


def test_plain_scalar_of_an_alias_to_a_scalar() -> None:
    doc = loaded("a: &x off\nb: *x\n")
    assert doc.data == {"a": False, "b": False}
    assert doc.plain_scalar(("b",)) == "off"


def test_mapping_keys_are_always_strings() -> None:
    doc = loaded("no: 1\n1: x\non: y\n~: z\n'yes': q\n2026-11-20: d\n? 12:30\n: t\n")
    assert doc.data == {
        "no": 1, "1": "x", "on": "y", "~": "z", "yes": "q", "2026-11-20": "d", "12:30": "t",
    }  # fmt: skip
    assert doc.key_span(("on",)) == Span(3, 1, 3, 3)


def test_an_alias_to_a_scalar_can_be_a_key() -> None:
    assert loaded("a: &k name\n*k : value\n").data == {"a": "name", "name": "value"}


@pytest.mark.parametrize(
    "source",
    ["? [a, b]\n: 1\nc: 2\n", "? {a: b}\n: [1, 2]\nc: 2\n", "x: &m [1]\n*m : 1\nc: 2\n"],
)
def test_a_collection_as_key_is_reported_and_skipped(source: str) -> None:
    result = load(source, "flow.yaml")
    diagnostic = only(result)
    assert diagnostic.rule == "yaml-syntax"
    assert "mapping keys must be plain strings" in diagnostic.message
    assert diagnostic.line in (1, 2)
    assert result.document is not None
    assert result.document.data["c"] == 2


def test_yaml_1_1_values_match_safe_load() -> None:
    source = (
        "a: [yes, No, ON, off, y, n, ~, null, Null, '', 0x1F, -0b101, 1_000, 190:20:30, +12,\n"
        "    .inf, -.Inf, 1.5e-3, 6.8523015e+5, 685_230.15, 2001-12-14t21:59:43.10-05:00,\n"
        "    2001-12-14 21:59:43.10 -5, 2002-12-14, 'quoted', \"dq\\u00e9\", plain text]\n"
        "b: !!float 1\nc: !!int '0x10'\nd: !!bool yes\ne: !!null x\nf: !!timestamp 2026-01-02\n"
        "g: !!str 1\nh: ! 12\ni: >\n  folded\n  text\nj: !!map {k: !!seq [1]}\n"
    )
    assert loaded(source).data == yaml.safe_load(source)


def test_values_that_only_look_like_numbers_or_dates_stay_strings() -> None:
    # yaml.safe_load raises on these; a flow author meant the text.
    assert loaded("a: 0b_\nb: 2026-02-30\nc: <<\nd: =\n").data == {
        "a": "0b_", "b": "2026-02-30", "c": "<<", "d": "=",
    }  # fmt: skip


# --- duplicate keys and merge keys ----------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    source = "nodes:\n  start: {}\n  welcome: {type: a}\n  other: {}\n  welcome: {type: b}\n"
    result = load(source, "flow.yaml")
    diagnostic = only(result)
    assert at(diagnostic) == ("duplicate-key", 5, 3)
    assert (diagnostic.end_line, diagnostic.end_column) == (5, 10)
    assert diagnostic.message == (
        "key 'welcome' is defined twice (first at line 3); YAML keeps only the last one"
    )
    assert diagnostic.hint == "rename one of them or merge the two"
    assert diagnostic.pointer == "/nodes/welcome"
    assert diagnostic.path == "flow.yaml"
    assert result.document is not None
    assert result.document.data == yaml.safe_load(source)  # the last one wins, as in PyYAML
    assert result.document.key_span(("nodes", "welcome")).line == 5


def test_each_repeat_is_reported() -> None:
    result = load("a: 1\nb: 2\na: 3\na: 4\n", "flow.yaml")
    assert [at(d) for d in result.diagnostics] == [("duplicate-key", 3, 1), ("duplicate-key", 4, 1)]
    assert "first at line 1" in result.diagnostics[1].message


@pytest.mark.parametrize(
    "source",
    [
        "base: &b {x: 1, y: 2}\nm:\n  x: 9\n  <<: *b\n",  # explicit key before the merge
        "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 9\n",  # explicit key after the merge
    ],
)
def test_merged_keys_never_override_explicit_ones(source: str) -> None:
    doc = loaded(source)  # and they are no duplicates
    assert doc.data["m"] == {"x": 9, "y": 2} == yaml.safe_load(source)["m"]


def test_merge_of_a_list_lets_the_first_mapping_win() -> None:
    # As the YAML 1.1 merge spec says. PyYAML 6.0.4 lets the last win for keys longer than one
    # character (yaml/pyyaml#953), so this is not compared with yaml.safe_load.
    source = (
        "a: &a {pp: 1, s: a}\nb: &b {pp: 2, q: 2, s: b}\n"
        "m:\n  <<: [*a, *b, {r: 3, s: c}]\n  s: own\nn: {<<: *a, <<: *b}\n"
    )
    doc = loaded(source)
    assert doc.data["m"] == {"pp": 1, "q": 2, "r": 3, "s": "own"}
    assert doc.data["n"] == {"pp": 2, "s": "b", "q": 2}  # of two merge keys, the later wins


def test_merged_members_point_at_their_merge_source() -> None:
    doc = loaded("a: &a {p: 1}\nm:\n  <<: [{q: 2}, *a]\n  s: 3\n")
    assert doc.value_span(("m", "p")) == Span(3, 16, 3, 18)
    assert doc.key_span(("m", "q")) == Span(3, 8, 3, 14)
    assert doc.value_span(("m", "s")) == Span(4, 6, 4, 7)


@pytest.mark.parametrize(("source", "column"), [("m:\n  <<: 3\n", 7), ("m:\n  <<: [{}, x]\n", 12)])
def test_merge_of_something_else_than_a_mapping_is_reported(source: str, column: int) -> None:
    result = load(source, "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 2, column)
    assert "merge key" in only(result).message


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    assert loaded("'<<': {a: 1}\n").data == {"<<": {"a": 1}}


# --- tags -----------------------------------------------------------------------------------


def test_unknown_tag_is_reported_and_the_rest_loads() -> None:
    result = load("a: 1\nb: !Ref other\nc: [!!binary aGk=, !!set {x: null}]\n", "flow.yaml")
    assert [at(d) for d in result.diagnostics] == [
        ("yaml-syntax", 2, 4), ("yaml-syntax", 3, 5), ("yaml-syntax", 3, 20),
    ]  # fmt: skip
    assert "!Ref" in result.diagnostics[0].message
    assert result.diagnostics[0].pointer == "/b"
    assert "!!binary" in result.diagnostics[1].message
    assert result.document is not None
    assert result.document.data == {"a": 1, "b": "other", "c": ["aGk=", {"x": None}]}


def test_a_value_its_tag_cannot_read_is_reported() -> None:
    result = load("a: !!int twelve\n", "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 1, 4)
    assert only(result).message == "'twelve' cannot be read as !!int"


# --- broken files ---------------------------------------------------------------------------


def test_syntax_error_position(parser: type[Any]) -> None:
    result = load("nodes:\n  a: {type: goal\n  b: 2\n", "flow.yaml")
    assert result.document is None
    assert at(only(result)) == ("yaml-syntax", 3, 4)


def test_syntax_error_message_names_the_problem_and_its_context() -> None:
    result = load("a: 1\nb: 'open\n", "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 3, 1)
    assert only(result).message.startswith("found unexpected end of stream")
    assert "quoted scalar at line 2, column 4" in only(result).message


def test_tab_indentation_gets_a_hint(parser: type[Any]) -> None:
    result = load("a:\n\tb: 1\n", "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 2, 1)
    assert only(result).hint is not None and "tabs" in only(result).hint


def test_invalid_utf8() -> None:
    result = load("a: 1\nname: é".encode() + b"\xff\n", "flow.yaml")
    assert result.document is None
    assert at(only(result)) == ("yaml-syntax", 2, 8)
    assert "UTF-8" in only(result).message


def test_control_character_position_counts_characters(parser: type[Any]) -> None:
    result = load("a: 1\nbé: x\x01\n".encode(), "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 2, 6)
    assert "U+0001" in only(result).message


def test_unpaired_surrogate_in_text() -> None:
    assert at(only(load("a: \ud800", "flow.yaml"))) == ("yaml-syntax", 1, 4)


@pytest.mark.parametrize("source", ["\ufeffa: 1\n", "\ufeffa: 1\n".encode()])
def test_byte_order_mark_is_accepted(source: str | bytes) -> None:
    doc = loaded(source)
    assert doc.data == {"a": 1}
    assert doc.text == "a: 1\n"
    assert doc.key_span(("a",)) == Span(1, 1, 1, 2)


def test_a_second_document_is_reported_and_the_first_kept() -> None:
    result = load("a: 1\n---\nb: 2\n", "flow.yaml")
    assert at(only(result)) == ("yaml-syntax", 2, 1)
    assert "one YAML document" in only(result).message
    assert result.document is not None and result.document.data == {"a": 1}


@pytest.mark.parametrize("source", ["", "# only a comment\n", b""])
def test_empty_file_is_a_document_without_data(source: str | bytes) -> None:
    assert loaded(source).data is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a: &a [1, *a]\n", "alias *a is used inside its own anchor &a"),
        ("a: &a\n  b: {c: *a}\n", "alias *a is used inside its own anchor &a"),
        ("a: *nowhere\n", "alias *nowhere refers to no anchor defined before it"),
        ("a: &x 1\nb: &x 2\n", "anchor &x is defined twice (first at line 1)"),
    ],
)
def test_broken_anchors_and_aliases(parser: type[Any], source: str, message: str) -> None:
    result = load(source, "flow.yaml")
    assert result.document is None
    assert only(result).rule == "yaml-syntax"
    assert only(result).message == message


# --- limits ---------------------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_billion_laughs_is_rejected_fast(parser: type[Any]) -> None:
    started = time.perf_counter()
    result = load(BILLION_LAUGHS, "flow.yaml")
    assert time.perf_counter() - started < 0.5
    assert result.document is None
    # a..f hold about 670,000 nodes; g's first alias to f (597,871 nodes) crosses a million.
    assert at(only(result)) == ("yaml-limits", 7, 8)
    assert only(result).message == "aliases expand to more than 1,000,000 nodes"


def test_node_limit_counts_alias_expansion() -> None:
    source = "a: &a [1, 2, 3]\nb: [*a, *a]\n"  # 1 + 1+(1+3) + 1+(1+4+4) nodes, keys included
    assert loaded(source).data == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    assert load(source, "f", Limits(max_nodes=16)).document is not None
    assert at(only(load(source, "f", Limits(max_nodes=15)))) == ("yaml-limits", 2, 9)
    plain = only(load("[1, 2, 3, 4]", "f", Limits(max_nodes=4)))
    assert (plain.rule, plain.column, plain.message) == (
        "yaml-limits", 11, "the document has more than 4 nodes",
    )  # fmt: skip


def test_deep_nesting_is_rejected() -> None:
    result = load("[" * 100_000, "flow.yaml")
    assert result.document is None
    assert only(result).rule == "yaml-limits"
    assert only(result).message == "nesting is deeper than 100 levels"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("[" * 101 + "]" * 101, 1, 101),
        ("- " * 150 + "x", 1, 201),
        ("".join("  " * i + "k:\n" for i in range(120)), 101, 201),
        ("a: &a [[[[1]]]]\nb: [[[[[[*a]]]]]]\n", 2, 10),  # aliases count their own depth
    ],
)
def test_nesting_limit_position(parser: type[Any], source: str, line: int, column: int) -> None:
    limits = Limits(max_depth=9) if "&a" in source else Limits()
    result = load(source, "flow.yaml", limits)
    assert result.document is None
    assert at(only(result)) == ("yaml-limits", line, column)


def test_nesting_at_the_limit_loads() -> None:
    assert load("[" * 100 + "]" * 100, "flow.yaml").document is not None


@pytest.mark.parametrize("source", ["é" * 6, ("é" * 6).encode()])
def test_size_limit_counts_bytes(source: str | bytes) -> None:
    diagnostic = only(load(source, "flow.yaml", Limits(max_bytes=11)))
    assert at(diagnostic) == ("yaml-limits", 1, 1)
    assert diagnostic.message == "the file is 12 bytes, over the limit of 11"
    assert load(source, "flow.yaml", Limits(max_bytes=12)).document is not None


# --- properties -----------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text()
    | st.dates()
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=12,
)


@settings(FUZZ, max_examples=100)
@given(value=json_like, flow_style=st.sampled_from([False, True, None]))
def test_values_equal_safe_load(value: Any, flow_style: bool | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow_style, allow_unicode=True)
    doc = loaded(text)
    expected = yaml.safe_load(text)
    assert doc.data == expected
    lines = text.count("\n") + 1
    assert all(1 <= doc.value_span(path).line <= lines for path in paths(doc.data))


@FUZZ
@given(st.text())
def test_any_text_loads_without_raising(source: str) -> None:
    check_result(load(source, "fuzz.yaml"))


@FUZZ
@given(st.binary())
def test_any_bytes_load_without_raising(source: bytes) -> None:
    check_result(load(source, "fuzz.yaml"))


@settings(FUZZ, max_examples=100)
@given(st.data())
def test_a_mutated_flow_loads_without_raising(data: st.DataObject) -> None:
    text = FLOW.decode()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:index] + text[index + 1 :]
        else:
            text = text[:index] + data.draw(st.sampled_from("{}[]:-,&*!|>'\"#\t \n")) + text[index:]
    result = load(text, "mutated.yaml")
    check_result(result)
    if result.document is not None and not result.diagnostics:
        try:
            expected = yaml.load(text, Loader=PARSERS[0])
        except (yaml.YAMLError, ValueError):
            return  # e.g. `2026-02-30`, which PyYAML refuses and flowctl reads as text
        if string_keys(expected):  # else the difference is flowctl's string keys
            assert result.document.data == expected


def string_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and string_keys(item) for key, item in value.items())
    return all(string_keys(item) for item in value) if isinstance(value, list) else True


def check_result(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    rules = {"yaml-syntax", "yaml-limits", "duplicate-key"}
    assert all(d.rule in rules and d.line >= 1 and d.column >= 1 for d in result.diagnostics)
    if result.document is None:
        assert result.diagnostics
        return
    for path in paths(result.document.data):
        result.document.value_span(path)
        result.document.key_span(path)

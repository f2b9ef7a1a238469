"""`per-path-ignores` globs: the state-set matcher means what the regex translation it replaced
meant, checked against that regex on small inputs, where backtracking is cheap (the input that
made it exponential is in tests/validation/test_hostile_superlinear.py, under a timeout)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.config.globs import PathGlob


def regex_meaning(pattern: str) -> re.Pattern[str]:
    """The translation the matcher replaced, as an oracle: `**/` is `(?:.*/)?`, `**` is `.*`,
    `*` is `[^/]*`, `?` is `[^/]`, a trailing `/` means everything below."""
    if pattern.endswith("/"):
        pattern += "**"
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


PATTERNS = st.lists(st.sampled_from(["a", "b", "/", "*", "**", "**/", "?", "."]), max_size=7)
PATHS = st.text(alphabet="ab/.", max_size=10)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(PATTERNS, PATHS)
def test_the_matcher_means_what_the_regex_meant(parts: list[str], path: str) -> None:
    pattern = "".join(parts)
    assert PathGlob.compile(pattern).fullmatch(path) == bool(regex_meaning(pattern).fullmatch(path))

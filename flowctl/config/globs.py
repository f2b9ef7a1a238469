"""Path globs for `per-path-ignores`, matched in time linear in the path.

A glob translated to a regex (`**` as `.*`, `*` as `[^/]*`) backtracks: `**a**a**a**b` against
a long path of `a`s takes exponential time in Python's engine. Here the pattern is a list of
tokens and a path is matched by following every position the pattern could be at, one path
character at a time (Thompson's construction), so the cost is at most the pattern's length
times the path's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class _Token(enum.Enum):
    ONE = "?"  # any one character but '/'
    STAR = "*"  # any run of characters without '/'
    ANY = "**"  # any run of characters
    DIRS = "**/"  # nothing, or any run of characters that ends with '/'


_WILDCARDS = {token.value: token for token in _Token}
_RUNS = (_Token.STAR, _Token.ANY, _Token.DIRS)


@dataclass(frozen=True, slots=True)
class PathGlob:
    """A glob over '/'-separated relative paths: `*` and `?` stay within one directory, `**`
    spans any number of them, and a trailing `/` means everything below."""

    pattern: str
    tokens: tuple[str | _Token, ...]

    @classmethod
    def compile(cls, pattern: str) -> PathGlob:
        text = pattern + "**" if pattern.endswith("/") else pattern
        tokens: list[str | _Token] = []
        index = 0
        while index < len(text):
            for width in (3, 2, 1):  # the longest wildcard first: `**/`, then `**`, then `*`
                token = _WILDCARDS.get(text[index : index + width])
                if token is not None:
                    break
            else:
                tokens.append(text[index])
                index += 1
                continue
            if not (tokens and tokens[-1] is token and token is not _Token.ONE):
                tokens.append(token)  # `***` means what `**` means: no needless states
            index += width
        return cls(pattern, tuple(tokens))

    def fullmatch(self, path: str) -> bool:
        """Whether the whole of `path` matches."""
        tokens = self.tokens
        end = len(tokens)
        states = self._closure({0})
        for character in path:
            following: set[int] = set()
            for state in states:
                if state < 0:  # inside the run of a `**/` at -state - 1
                    state = -state - 1
                if state == end:
                    continue
                token = tokens[state]
                if token is _Token.ANY or (token is _Token.STAR and character != "/"):
                    following.add(state)
                elif token is _Token.DIRS:
                    # Inside its run a `**/` may only be left by a '/': no skipping it there.
                    following.add(-state - 1)
                    if character == "/":
                        following.add(state + 1)
                elif token == character or (token is _Token.ONE and character != "/"):
                    following.add(state + 1)
            if not following:
                return False
            states = self._closure(following)
        return end in states

    def _closure(self, states: set[int]) -> set[int]:
        """The states plus those reached by letting the runs (`*`, `**`, `**/`) match nothing.

        A state is a token's index; -index - 1 is the inside of a `**/`'s run, which has
        matched characters and must end with '/'.
        """
        tokens, end = self.tokens, len(self.tokens)
        todo = list(states)
        while todo:
            state = todo.pop()
            if 0 <= state < end and tokens[state] in _RUNS and state + 1 not in states:
                states.add(state + 1)
                todo.append(state + 1)
        return states

"""Read symphony text (the EDN subset Composer exports) into positioned forms.

Rule: pure text -> values; no I/O. Lists `( )`, vectors `[ ]`, maps `{ }`,
strings, numbers, keywords (`:window`) and symbols; commas are whitespace and
`;` starts a comment. Every form keeps the index of its token so a later error
can name its line and column (offsets are found only when one is asked for).

Our own reader rather than `edn_format`: tokens come from one `re.findall`
(C speed) and forms are small slotted objects, so a 2 MB file reads in well
under a second (bench/symphony.py), and every form knows where it is.
"""

import bisect
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from alchemiser.symphony.errors import SymphonyError

MAX_DEPTH: Final = 300

_TOKEN: Final = re.compile(r"""[()\[\]{}]|"(?:[^"\\]|\\.)*"?|;[^\n]*|[^\s,()\[\]{}";]+""")
_NUMBER: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES: Final = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_CLOSERS: Final = {"(": ")", "[": "]", "{": "}"}
_NAMES: Final = {"(": "list", "[": "vector", "{": "map"}
_NUMERIC_START: Final = frozenset("0123456789+-.")


class Atom:
    """A string, number, keyword or symbol; `kind` says which."""

    __slots__ = ("kind", "token", "value")

    def __init__(self, kind: str, value: str | float, token: int) -> None:
        self.kind = kind  # "string" | "number" | "keyword" | "symbol"
        self.value = value
        self.token = token


class Seq:
    """A list `( )`, vector `[ ]` or map `{ }` of forms; `kind` is its opening bracket."""

    __slots__ = ("items", "kind", "token")

    def __init__(self, kind: str, items: list["Form"], token: int) -> None:
        self.kind = kind
        self.items = items
        self.token = token

    @property
    def name(self) -> str:
        """ "list", "vector" or "map"."""
        return _NAMES[self.kind]


Form = Atom | Seq


class Text:
    """Symphony text, its tokens, and token index -> 1-based line:column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = _TOKEN.findall(text)
        self._offsets: list[int] | None = None
        self._starts: list[int] | None = None

    def offset(self, token: int) -> int:
        """Character offset of a token (computed once, on first use)."""
        if self._offsets is None:
            self._offsets = [m.start() for m in _TOKEN.finditer(self.text)]
        return self._offsets[token] if token < len(self._offsets) else len(self.text)

    def position(self, token: int) -> tuple[int, int]:
        """(line, column) of a token, both counted from 1."""
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        offset = self.offset(token)
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def error(self, message: str, token: int) -> SymphonyError:
        """A SymphonyError located at a token."""
        line, column = self.position(token)
        return SymphonyError(message, line=line, column=column)


def read(text: Text) -> list[Form]:
    """Every top-level form of the text, in order; raises SymphonyError at the fault."""
    # The hot loop of a 2 MB symphony (half a million tokens): atoms are built inline
    # and names are bound locally, which is what makes it fast in CPython.
    stack: list[tuple[str, int, list[Form]]] = []
    top: list[Form] = []
    items = top
    atom, seq, number = Atom, Seq, _NUMBER.fullmatch
    for index, token in enumerate(text.tokens):
        first = token[0]
        if first in "([{":
            if len(stack) >= MAX_DEPTH:
                raise text.error(f"nesting deeper than {MAX_DEPTH} levels", index)
            stack.append((first, index, items))
            items = []
        elif first in ")]}":
            if not stack:
                raise text.error(f'unexpected "{token}" with nothing open', index)
            opener, opened, parent = stack.pop()
            if _CLOSERS[opener] != first:
                line, column = text.position(opened)
                raise text.error(
                    f'"{token}" closes the "{opener}" opened at {line}:{column}', index
                )
            parent.append(seq(opener, items, opened))
            items = parent
        elif first == '"':
            if (
                len(token) < 2
                or token[-1] != '"'
                or (token.endswith('\\"') and _odd_backslashes(token))
            ):
                raise text.error("unterminated string", index)
            body = token[1:-1]
            if "\\" in body:
                body = _unescape(text, body, index)
            items.append(atom("string", body, index))
        elif first == ":" and len(token) > 1:
            items.append(atom("keyword", token[1:], index))
        elif (first in _NUMERIC_START or first.isdigit()) and number(token):
            items.append(atom("number", float(token), index))
        elif first != ";":
            items.append(atom("symbol", token, index))
    if stack:
        opener, opened, _ = stack[-1]
        raise text.error(f'"{opener}" is never closed', opened)
    return top


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building acyclic values.

    Forms, nodes and weight maps hold no cycles; the collector's repeated scans
    of a young generation growing by hundreds of thousands of objects made a
    2 MB symphony 3-5x slower to read and compile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _odd_backslashes(token: str) -> bool:
    """Whether the closing quote is itself escaped (the string never ends)."""
    body = token[1:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _unescape(text: Text, body: str, index: int) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped not in _ESCAPES:
            raise text.error(f'unknown escape "\\{escaped}" in a string', index)
        return _ESCAPES[escaped]

    return _ESCAPE.sub(replace, body)

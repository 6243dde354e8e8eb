"""What is wrong with a document pydantic refused, said the way users write the document.

Rule: pure; one way to say it everywhere. A problem is `path: reason`, where the path
uses the document's own field names (the models' camelCase aliases, which pydantic
puts in an error's `loc`), `.` between fields and `[i]` for list items:
`spec.allocations[0].weight: Input should be less than or equal to 1`. The reason is
pydantic's, without the `Value error, ` it puts before our validators' messages.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

SHOWN: Final = 5  # problems a message lists; the rest are counted


@dataclass(frozen=True)
class Problem:
    """One refused field: where it is, pydantic's error type and the reason."""

    path: str  # '' for the document itself
    kind: str  # pydantic's error type, e.g. 'extra_forbidden'
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


def field_path(loc: Sequence[int | str], root: str = "") -> str:
    """`root.a[0].b` for pydantic's loc ('a', 0, 'b'); `root` alone for an empty loc."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def problems(error: ValidationError, root: str = "") -> list[Problem]:
    """Every problem of the error, in pydantic's order, with paths under `root`."""
    return [
        Problem(
            path=field_path(item["loc"], root),
            kind=item["type"],
            reason=item["msg"].removeprefix("Value error, "),
        )
        for item in error.errors(include_url=False)
    ]


def summary(error: ValidationError, root: str = "", *, shown: int = SHOWN) -> str:
    """The first `shown` problems joined by '; ', and how many more there are."""
    found = problems(error, root)
    text = "; ".join(str(problem) for problem in found[:shown])
    hidden = len(found) - shown
    return text + (f"; and {hidden} more" if hidden > 0 else "")

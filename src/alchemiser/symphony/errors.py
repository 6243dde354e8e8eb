"""The error a symphony text raises when it cannot be read or is not a valid tree.

Rule: values only; no I/O.
"""

from alchemiser.errors import ConfigError


class SymphonyError(ConfigError):
    """Raised when a symphony's text is malformed or unsupported; carries line and column."""

    def __init__(self, message: str, *, line: int, column: int, source: str = "") -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.source = source
        where = f"{source}:" if source else ""
        super().__init__(f"{where}{line}:{column}: {message}")

    def located(self, source: str) -> "SymphonyError":
        """The same error, naming the file (or ConfigMap key) it came from."""
        return SymphonyError(self.reason, line=self.line, column=self.column, source=source)

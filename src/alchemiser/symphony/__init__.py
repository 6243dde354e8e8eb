"""Composer symphonies: read, check and evaluate them.

Rule: pure. Nothing here does I/O, reads a clock or the environment, or logs:
the operator imports it to validate a symphony's text, the worker to decide
with it (enforced in .importlinter). Public surface::

    symphony = parse(text, source="my.clj")     # SymphonyError with line:column
    needs = requirements(symphony)              # needs.per_symbol, needs.lookback
    result = evaluate(symphony, closes)         # result.weights sums to 1
    memo = Memo(symphony)                       # evaluate(symphony, closes, memo) day after day
    explain_text(result) / explain_json(result) # why

`closes` maps each symbol to its completed daily closes, oldest first, every
series ending at the same session (the last one before the decision).
"""

from alchemiser.symphony.compiler import compile_text as parse
from alchemiser.symphony.errors import SymphonyError
from alchemiser.symphony.evaluator import Condition, Evaluation, Ranking, Score, evaluate
from alchemiser.symphony.explain import explain_json, explain_text
from alchemiser.symphony.history import Requirements, requirements
from alchemiser.symphony.memo import Memo
from alchemiser.symphony.source import digest, read_source
from alchemiser.symphony.tree import Options, Symphony

__all__ = [
    "Condition",
    "Evaluation",
    "Memo",
    "Options",
    "Ranking",
    "Requirements",
    "Score",
    "Symphony",
    "SymphonyError",
    "digest",
    "evaluate",
    "explain_json",
    "explain_text",
    "parse",
    "read_source",
    "requirements",
]

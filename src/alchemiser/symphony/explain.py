"""Render an Evaluation for people (an indented tree) and for tools (one JSON object).

Rule: pure; values -> text. Only what the decision evaluated at its own
session is shown in detail; a branch not taken is one line.
"""

import json
from typing import Any

from alchemiser.symphony.evaluator import Condition, Evaluation, Ranking
from alchemiser.symphony.history import requirements
from alchemiser.symphony.reader import Text
from alchemiser.symphony.tree import If, Node, children, label


def explain_text(result: Evaluation) -> str:
    """The tree with each condition's values, the branch taken and the weights."""
    text = Text(result.symphony.text)
    lines = [f"symphony {result.symphony.name!r}"]

    def visit(node: Node, depth: int, prefix: str = "") -> None:
        pad = "  " * depth
        line, column = text.position(node.token)
        weights = result.allocations.get(node.id)
        if weights is None:
            lines.append(f"{pad}{prefix}{label(node)}  [{line}:{column}] (not taken)")
            return
        lines.append(f"{pad}{prefix}{label(node)}  [{line}:{column}] -> {_format(weights)}")
        step = result.steps.get(node.id)
        if isinstance(step, Condition):
            lines.append(
                f"{pad}  {step.text}: {step.left:.6g} vs {step.right:.6g} -> "
                f"{'then' if step.holds else 'else'}"
            )
        elif isinstance(step, Ranking):
            for score in step.scores:
                mark = f"chosen {score.weight:.4f}" if score.chosen else "not chosen"
                lines.append(f"{pad}  {step.metric} {score.label}: {score.value:.6g} ({mark})")
        if isinstance(node, If):
            visit(node.then, depth + 1, "then: ")
            visit(node.otherwise, depth + 1, "else: ")
            return
        for child in children(node):
            visit(child, depth + 1)

    visit(result.symphony.root, 1)
    lines.append("weights:")
    lines.extend(f"  {symbol}: {weight:.6f}" for symbol, weight in result.weights.items())
    return "\n".join(lines)


def explain_json(result: Evaluation, **extra: Any) -> str:
    """One JSON object: symphony, weights (fractions of the slice), lookback and steps."""
    text = Text(result.symphony.text)
    steps: list[dict[str, Any]] = []
    for node in result.symphony.nodes:
        step = result.steps.get(node.id)
        if step is None:
            continue
        line, column = text.position(node.token)
        entry: dict[str, Any] = {"node": label(node), "line": line, "column": column}
        if isinstance(step, Condition):
            entry |= {
                "condition": step.text,
                "left": step.left,
                "right": step.right,
                "branch": "then" if step.holds else "else",
            }
        else:
            entry |= {
                "metric": step.metric,
                "scores": [
                    {"label": s.label, "value": s.value, "chosen": s.chosen, "weight": s.weight}
                    for s in step.scores
                ],
            }
        steps.append(entry)
    document = {
        "symphony": result.symphony.name,
        "weights": dict(result.weights),
        "lookback": requirements(result.symphony).lookback,
        "steps": steps,
        **extra,
    }
    return json.dumps(document, sort_keys=False)


def _format(weights: Any) -> str:
    shown = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    body = ", ".join(f"{symbol} {weight:.4f}" for symbol, weight in shown[:6])
    return body + (f", ... ({len(shown)} symbols)" if len(shown) > 6 else "")

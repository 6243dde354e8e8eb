"""Compile read forms into a typed Symphony, refusing anything unsupported.

Rule: pure; no I/O. Every refusal is a SymphonyError at the line:column of the
form at fault, saying what was expected ("unknown operator \"weight-equl\"").
"""

import math
import re
from collections.abc import Callable, Sequence
from typing import Final

from alchemiser.symphony.errors import SymphonyError
from alchemiser.symphony.reader import Atom, Form, Seq, Text, collector_paused, read
from alchemiser.symphony.tree import (
    Asset,
    Compare,
    Filter,
    Fn,
    Group,
    If,
    Indicator,
    Metric,
    Node,
    Number,
    Operand,
    Options,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

# The tickers Alpaca trades (same shape as the API's allowedSymbols).
SYMBOL: Final = re.compile(r"[A-Z][A-Z0-9]{0,5}(?:[.][A-Z]{1,2})?")
COMPARATORS: Final = frozenset({">", "<", ">=", "<="})
# Longest window a symphony may name (about eight years of sessions).
MAX_WINDOW: Final = 2000
NODE_OPERATORS: Final = (
    "asset",
    "weight-equal",
    "weight-specified",
    "weight-inverse-volatility",
    "group",
    "filter",
    "if",
)


def compile_text(text: str, source: str = "") -> Symphony:
    """Read and compile one symphony; raises SymphonyError naming source:line:col."""
    located = Text(text)
    try:
        with collector_paused():
            return _Compiler(located).symphony(read(located))
    except SymphonyError as error:
        if not source:
            raise
        raise error.located(source) from None


class _Compiler:
    def __init__(self, text: Text) -> None:
        self.text = text
        self.nodes: list[Node] = []
        self.symbols: set[str] = set()
        self.builders: dict[str, Callable[[Seq], Node]] = {
            "asset": self._asset,
            "weight-equal": self._weight_equal,
            "weight-specified": self._weight_specified,
            "weight-inverse-volatility": self._inverse_volatility,
            "group": self._group,
            "filter": self._filter,
            "if": self._if,
        }

    def fail(self, message: str, form: Form) -> SymphonyError:
        return self.text.error(message, form.token)

    # -- top level ---------------------------------------------------------------------

    def symphony(self, forms: Sequence[Form]) -> Symphony:
        if not forms:
            raise self.text.error('empty text: expected (defsymphony "name" {...} tree)', 0)
        if len(forms) > 1:
            raise self.fail("only one form may follow the defsymphony", forms[1])
        form = forms[0]
        if not (isinstance(form, Seq) and form.kind == "(" and _head(form) == "defsymphony"):
            raise self.fail('expected (defsymphony "name" {options} tree)', form)
        if len(form.items) != 4:
            raise self.fail(
                f"defsymphony takes a name, an options map and one tree, got {len(form.items) - 1} "
                "arguments",
                form,
            )
        name = self._string(form.items[1], "the symphony's name")
        options = self._options(form.items[2])
        root = self._single(form.items[3], "defsymphony")
        return Symphony(
            name=name,
            options=options,
            root=root,
            nodes=tuple(self.nodes),
            symbols=frozenset(self.symbols),
            text=self.text.text,
        )

    def _options(self, form: Form) -> Options:
        if not (isinstance(form, Seq) and form.kind == "{"):
            raise self.fail("expected the options map {...} after the name", form)
        if len(form.items) % 2:
            raise self.fail("options map has a key without a value", form)
        threshold: float | None = None
        frequency: str | None = None
        asset_class: str | None = None
        for key, value in zip(form.items[::2], form.items[1::2], strict=True):
            if not (isinstance(key, Atom) and key.kind == "keyword"):
                raise self.fail("options keys are keywords such as :rebalance-threshold", key)
            if key.value == "rebalance-threshold":
                threshold = self._number(value, ":rebalance-threshold")
                if not 0.0 <= threshold < 1.0:
                    raise self.fail(":rebalance-threshold is a fraction in [0, 1)", value)
            elif key.value == "rebalance-frequency":
                frequency = self._word(value, ":rebalance-frequency")
                if frequency not in {"daily", "none"}:
                    raise self.fail(
                        f':rebalance-frequency "{frequency}" is not supported (daily or none; '
                        "runs happen on the strategy's schedule)",
                        value,
                    )
            elif key.value == "asset-class":
                asset_class = self._word(value, ":asset-class")
                if asset_class != "EQUITIES":
                    raise self.fail(f':asset-class "{asset_class}": only EQUITIES is traded', value)
        return Options(threshold, frequency, asset_class)

    # -- allocation nodes --------------------------------------------------------------

    def _node(self, form: Form) -> list[Node]:
        """The nodes one child form contributes (a vector contributes each element)."""
        if isinstance(form, Seq) and form.kind == "[":
            nodes: list[Node] = []
            for item in form.items:
                nodes.extend(self._node(item))
            return nodes
        if not (isinstance(form, Seq) and form.kind == "("):
            raise self.fail(f"expected a block such as (asset ...), got {_describe(form)}", form)
        head = _head(form)
        builder = self.builders.get(head or "")
        if builder is None:
            raise self.fail(self._unknown(head, form), form)
        return [builder(form)]

    def _unknown(self, head: str | None, form: Seq) -> str:
        if head is None:
            return "a block starts with an operator name"
        if head in COMPARATORS or head in _INDICATORS:
            return f'"{head}" is a condition, not a block: it belongs inside (if ...)'
        if head in {"select-top", "select-bottom"}:
            return f'"{head}" belongs inside (filter ...)'
        return f'unknown operator "{head}"'

    def _children(self, form: Form, where: str) -> tuple[Node, ...]:
        nodes = self._node(form)
        if not nodes:
            raise self.fail(f"{where} has no children", form)
        return tuple(nodes)

    def _single(self, form: Form, where: str) -> Node:
        nodes = self._children(form, where)
        return nodes[0] if len(nodes) == 1 else self._add(WeightEqual, form, children=nodes)

    def _add(self, kind: type[Node], form: Form, **fields: object) -> Node:
        node = kind(id=len(self.nodes), token=form.token, **fields)
        self.nodes.append(node)
        return node

    def _asset(self, form: Seq) -> Node:
        args = form.items[1:]
        if not 1 <= len(args) <= 2:
            raise self.fail('asset takes a ticker and an optional name: (asset "SPY" "name")', form)
        symbol = self._ticker(args[0])
        if len(args) == 2 and not _is_string_or_nil(args[1]):
            raise self.fail(
                "asset's second argument is its display name (a string or nil)", args[1]
            )
        return self._add(Asset, form, symbol=symbol)

    def _weight_equal(self, form: Seq) -> Node:
        self._arity(form, 1, "weight-equal takes one vector of children: (weight-equal [...])")
        return self._add(WeightEqual, form, children=self._children(form.items[1], "weight-equal"))

    def _weight_specified(self, form: Seq) -> Node:
        args = form.items[1:]
        if not args or len(args) % 2:
            raise self.fail("weight-specified takes pairs: a weight, then its child", form)
        weights: list[float] = []
        kids: list[Node] = []
        for weight_form, child in zip(args[::2], args[1::2], strict=True):
            weight = self._number(weight_form, "a weight-specified weight")
            if weight < 0.0:
                raise self.fail(f"weight {weight:g} is negative", weight_form)
            weights.append(weight)
            kids.append(self._single(child, "weight-specified"))
        if math.fsum(weights) <= 0.0:
            raise self.fail("weight-specified weights sum to 0", form)
        return self._add(WeightSpecified, form, weights=tuple(weights), children=tuple(kids))

    def _inverse_volatility(self, form: Seq) -> Node:
        self._arity(
            form, 2, "weight-inverse-volatility takes a window and a vector: (... 20 [...])"
        )
        window = self._window(form.items[1], "weight-inverse-volatility's window")
        kids = self._children(form.items[2], "weight-inverse-volatility")
        return self._add(WeightInverseVolatility, form, window=window, children=kids)

    def _group(self, form: Seq) -> Node:
        self._arity(form, 2, 'group takes a name and one child: (group "name" [child])')
        name = self._string(form.items[1], "the group's name")
        kids = self._children(form.items[2], "group")
        if len(kids) != 1:
            raise self.fail(f"a group holds exactly one block, got {len(kids)}", form.items[2])
        return self._add(Group, form, name=name, child=kids[0])

    def _filter(self, form: Seq) -> Node:
        self._arity(form, 3, "filter takes a metric, a selection and candidates")
        metric = self._metric(form.items[1], subject=False)[0]
        selector = form.items[2]
        head = _head(selector) if isinstance(selector, Seq) else None
        if not isinstance(selector, Seq) or head not in {"select-top", "select-bottom"}:
            raise self.fail("expected (select-top N) or (select-bottom N)", selector)
        if len(selector.items) != 2:
            raise self.fail(f"{head} takes one count", selector)
        count = self._number(selector.items[1], f"{head}'s count")
        if count != int(count) or count < 1:
            raise self.fail(f"{head}'s count must be a whole number >= 1, got {count:g}", selector)
        kids = self._children(form.items[3], "filter")
        return self._add(
            Filter, form, metric=metric, top=head == "select-top", count=int(count), candidates=kids
        )

    def _if(self, form: Seq) -> Node:
        if len(form.items) != 4:
            raise self.fail(
                "if takes a condition, a then-branch and an else-branch, got "
                f"{len(form.items) - 1} arguments",
                form,
            )
        condition = self._compare(form.items[1])
        then = self._single(form.items[2], "the then-branch")
        otherwise = self._single(form.items[3], "the else-branch")
        return self._add(If, form, condition=condition, then=then, otherwise=otherwise)

    # -- conditions --------------------------------------------------------------------

    def _compare(self, form: Form) -> Compare:
        head = _head(form) if isinstance(form, Seq) and form.kind == "(" else None
        if not isinstance(form, Seq) or head not in COMPARATORS:
            raise self.fail(
                f"expected a comparison (> a b), (< a b), (>= a b) or (<= a b), got "
                f"{_describe(form) if head is None else repr(head)}",
                form,
            )
        if len(form.items) != 3:
            raise self.fail(f"{head} compares exactly two values", form)
        left, right = (self._operand(item) for item in form.items[1:])
        if isinstance(left, Number) and isinstance(right, Number):
            raise self.fail("comparison of two constants", form)
        return Compare(head, left, right, form.token)

    def _operand(self, form: Form) -> Operand:
        if isinstance(form, Atom) and form.kind == "number":
            return Number(float(form.value), form.token)
        metric, symbol = self._metric(form, subject=True)
        assert symbol is not None
        return Indicator(metric, symbol, form.token)

    def _metric(self, form: Form, *, subject: bool) -> tuple[Metric, str | None]:
        head = _head(form) if isinstance(form, Seq) and form.kind == "(" else None
        if not isinstance(form, Seq) or head is None:
            raise self.fail(f"expected an indicator such as (rsi ...), got {_describe(form)}", form)
        fn = _INDICATORS.get(head)
        if fn is None:
            raise self.fail(f'unknown indicator "{head}"', form)
        args = list(form.items[1:])
        symbol: str | None = None
        if subject:
            if not args:
                raise self.fail(f'{head} needs a ticker: ({head} "SPY" ...)', form)
            symbol = self._ticker(args.pop(0))
        if fn is Fn.CURRENT_PRICE:
            if args:
                raise self.fail("current-price takes no window", args[0])
            return Metric(fn, 0), symbol
        if len(args) != 1:
            raise self.fail(f"{head} needs its window: {{:window n}}", form)
        window = self._window_map(args[0], head)
        if fn is Fn.STDEV_PRICE and window < 2:
            raise self.fail("stdev-price needs a window of at least 2 sessions", args[0])
        return Metric(fn, window), symbol

    # -- atoms -------------------------------------------------------------------------

    def _window_map(self, form: Form, head: str) -> int:
        if isinstance(form, Seq) and form.kind == "{" and len(form.items) == 2:
            key = form.items[0]
            if isinstance(key, Atom) and key.kind == "keyword" and key.value == "window":
                return self._window(form.items[1], f"{head}'s window")  # the common case
        if not (isinstance(form, Seq) and form.kind == "{"):
            raise self.fail(f"{head}'s window is a map {{:window n}}", form)
        pairs = dict(zip(form.items[::2], form.items[1::2], strict=False))
        for key in pairs:
            if not (isinstance(key, Atom) and key.kind == "keyword" and key.value == "window"):
                raise self.fail(f"{head} takes only :window", key)
        if len(form.items) != 2:
            raise self.fail(f"{head} needs exactly one :window", form)
        return self._window(form.items[1], f"{head}'s window")

    def _window(self, form: Form, what: str) -> int:
        value = self._number(form, what)
        if value != int(value) or not 1 <= value <= MAX_WINDOW:
            raise self.fail(f"{what} must be a whole number of sessions in 1..{MAX_WINDOW}", form)
        return int(value)

    def _ticker(self, form: Form) -> str:
        if not (isinstance(form, Atom) and form.kind == "string"):
            raise self.fail(f'expected a ticker string such as "SPY", got {_describe(form)}', form)
        symbol = str(form.value)
        if symbol in self.symbols:  # checked already: a symphony names each ticker many times
            return symbol
        if not SYMBOL.fullmatch(symbol):
            raise self.fail(f'"{symbol}" is not a ticker Alchemiser can trade', form)
        self.symbols.add(symbol)
        return symbol

    def _string(self, form: Form, what: str) -> str:
        if not (isinstance(form, Atom) and form.kind == "string"):
            raise self.fail(f"expected {what} as a string, got {_describe(form)}", form)
        return str(form.value)

    def _word(self, form: Form, what: str) -> str:
        if isinstance(form, Atom) and form.kind in {"string", "keyword", "symbol"}:
            return str(form.value)
        raise self.fail(f"{what} expects a keyword or string, got {_describe(form)}", form)

    def _number(self, form: Form, what: str) -> float:
        if not (isinstance(form, Atom) and form.kind == "number"):
            raise self.fail(f"expected {what} as a number, got {_describe(form)}", form)
        value = float(form.value)
        if not math.isfinite(value):
            raise self.fail(f"{what} is not finite", form)
        return value

    def _arity(self, form: Seq, count: int, usage: str) -> None:
        if len(form.items) != count + 1:
            raise self.fail(usage, form)


_INDICATORS: Final = {fn.value: fn for fn in Fn}


def _head(form: Seq) -> str | None:
    if form.items and isinstance(form.items[0], Atom) and form.items[0].kind == "symbol":
        return str(form.items[0].value)
    return None


def _is_string_or_nil(form: Form) -> bool:
    return isinstance(form, Atom) and (
        form.kind == "string" or (form.kind == "symbol" and form.value == "nil")
    )


def _describe(form: Form) -> str:
    if isinstance(form, Seq):
        head = _head(form)
        return f"({head} ...)" if head and form.kind == "(" else f"a {form.name}"
    if form.kind == "string":
        return f'the string "{form.value}"'
    if form.kind == "keyword":
        return f":{form.value}"
    if form.kind == "number":
        return f"the number {float(form.value):g}"
    return f"the symbol {form.value}"

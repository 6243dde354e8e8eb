"""The reader and compiler accept Composer's syntax and refuse bad text at the right line:column."""

import pytest

from alchemiser.symphony import SymphonyError, parse
from alchemiser.symphony.tree import (
    Asset,
    Filter,
    Fn,
    Group,
    If,
    Indicator,
    Number,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

HEAD = '(defsymphony "t" {:asset-class "EQUITIES", :rebalance-frequency :daily}\n'


def located(text: str) -> tuple[int, int, str]:
    """Compile text that must fail; return (line, column, reason)."""
    with pytest.raises(SymphonyError) as caught:
        parse(text)
    return caught.value.line, caught.value.column, caught.value.reason


def test_every_block_operator_compiles_to_its_node() -> None:
    """A tree using each block operator compiles to the matching typed nodes."""
    symphony = parse(
        HEAD
        + """ (weight-equal
   [(if (> (rsi "SPY" {:window 10}) 79.5)
        [(asset "UVXY" "ProShares Ultra VIX")]
        [(group "g" [(weight-inverse-volatility 20 [(asset "TLT" nil) (asset "GLD")])])])
    (weight-specified 0.6 (asset "SPY") 0.4 [(asset "QQQ")])
    (filter (cumulative-return {:window 60}) (select-bottom 2)
      [(asset "XLK") (asset "XLF") (asset "XLE")])]))"""
    )
    root = symphony.root
    assert isinstance(root, WeightEqual) and len(root.children) == 3
    branch, specified, chosen = root.children
    assert isinstance(branch, If)
    assert isinstance(branch.then, Asset) and branch.then.symbol == "UVXY"
    assert isinstance(branch.otherwise, Group) and branch.otherwise.name == "g"
    assert isinstance(branch.otherwise.child, WeightInverseVolatility)
    assert branch.otherwise.child.window == 20
    left, right = branch.condition.left, branch.condition.right
    assert isinstance(left, Indicator) and left.metric.fn is Fn.RSI and left.metric.window == 10
    assert isinstance(right, Number) and right.value == 79.5
    assert isinstance(specified, WeightSpecified) and specified.weights == (0.6, 0.4)
    assert isinstance(chosen, Filter) and not chosen.top and chosen.count == 2
    assert chosen.metric.fn is Fn.CUMULATIVE_RETURN and chosen.metric.window == 60
    assert symphony.symbols == {"SPY", "UVXY", "TLT", "GLD", "QQQ", "XLK", "XLF", "XLE"}
    assert symphony.options.asset_class == "EQUITIES"


def test_every_indicator_name_compiles() -> None:
    """Each of the nine indicators is accepted in a comparison; two indicators may be compared."""
    for fn in Fn:
        window = "" if fn is Fn.CURRENT_PRICE else " {:window 5}"
        text = (
            HEAD
            + f'(if (< ({fn.value} "SPY"{window}) (rsi "QQQ" {{:window 3}}))'
            + ' [(asset "A")] [(asset "B")]))'
        )
        node = parse(text).root
        assert isinstance(node, If)
        assert isinstance(node.condition.left, Indicator) and node.condition.left.metric.fn is fn


def test_options_are_read() -> None:
    """:rebalance-threshold and :rebalance-frequency are kept for the worker to apply."""
    symphony = parse(
        '(defsymphony "x" {:rebalance-threshold 0.05 :rebalance-frequency :none} (asset "SPY"))'
    )
    assert symphony.options.rebalance_threshold == 0.05
    assert symphony.options.rebalance_frequency == "none"


def test_comments_commas_and_escapes_are_read() -> None:
    """`;` comments and commas are whitespace; string escapes are decoded."""
    symphony = parse(
        '; a comment\n(defsymphony "say \\"hi\\"" {}, ; trailing\n'
        ' (group "a\\\\b" [(asset "SPY")]))'
    )
    assert symphony.name == 'say "hi"'
    assert isinstance(symphony.root, Group) and symphony.root.name == "a\\b"


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        (HEAD + ' (weight-equl [(asset "SPY")]))', 2, 2, 'unknown operator "weight-equl"'),
        (
            HEAD + ' (weight-equal\n   [(asset "SPY")\n    (assett "QQQ")]))',
            4,
            5,
            'unknown operator "assett"',
        ),
        (
            HEAD + ' (if (> (rsii "SPY" {:window 2}) 1) [(asset "A")] [(asset "B")]))',
            2,
            9,
            'unknown indicator "rsii"',
        ),
        (HEAD + ' (weight-equal [(asset "SPY")))', 2, 30, '")" closes the "[" opened at 2:16'),
        (HEAD + ' (weight-equal [(asset "SPY")]', 2, 2, '"(" is never closed'),
        (HEAD + ' (asset "SPY")))', 2, 16, 'unexpected ")" with nothing open'),
        (HEAD + ' (asset "SPY\n))', 2, 9, "unterminated string"),
        (HEAD + ' (asset "spy"))', 2, 9, '"spy" is not a ticker Alchemiser can trade'),
        (
            HEAD + ' (if (> (rsi "SPY" {:window 10}) 70) [(asset "A")]))',
            2,
            2,
            "if takes a condition, a then-branch and an else-branch, got 2 arguments",
        ),
        (
            HEAD + ' (filter (rsi {:window 10}) (select-top 0) [(asset "A")]))',
            2,
            29,
            "select-top's count must be a whole number >= 1, got 0",
        ),
        (
            HEAD + ' (filter (rsi {:window 10}) (pick-top 1) [(asset "A")]))',
            2,
            29,
            "expected (select-top N) or (select-bottom N)",
        ),
        (
            HEAD + ' (if (rsi "SPY" {:window 10}) [(asset "A")] [(asset "B")]))',
            2,
            6,
            "expected a comparison (> a b), (< a b), (>= a b) or (<= a b), got 'rsi'",
        ),
        (
            HEAD + ' (if (> (rsi "SPY") 1) [(asset "A")] [(asset "B")]))',
            2,
            9,
            "rsi needs its window: {:window n}",
        ),
        (
            HEAD + ' (if (> (rsi "SPY" {:window 2.5}) 1) [(asset "A")] [(asset "B")]))',
            2,
            29,
            "rsi's window must be a whole number of sessions in 1..2000",
        ),
        (
            HEAD + ' (group "g" [(asset "A") (asset "B")]))',
            2,
            13,
            "a group holds exactly one block, got 2",
        ),
        (
            HEAD + ' (weight-specified 0.5 (asset "A") 0.5))',
            2,
            2,
            "weight-specified takes pairs: a weight, then its child",
        ),
        (
            HEAD + ' (weight-specified -1 (asset "A") 2 (asset "B")))',
            2,
            20,
            "weight -1 is negative",
        ),
        (
            HEAD + ' (rsi "SPY" {:window 10}))',
            2,
            2,
            '"rsi" is a condition, not a block: it belongs inside (if ...)',
        ),
        (HEAD + " (weight-equal []))", 2, 16, "weight-equal has no children"),
        (
            '(defsymphony "t" {:asset-class "CRYPTO"} (asset "SPY"))',
            1,
            32,
            ':asset-class "CRYPTO": only EQUITIES is traded',
        ),
        (
            '(defsymphony "t" {:rebalance-threshold 5} (asset "SPY"))',
            1,
            40,
            ":rebalance-threshold is a fraction in [0, 1)",
        ),
        ('(weight-equal [(asset "SPY")])', 1, 1, 'expected (defsymphony "name" {options} tree)'),
        ("", 1, 1, 'empty text: expected (defsymphony "name" {...} tree)'),
        (HEAD + ' (asset "SPY"))\n(asset "QQQ")', 3, 1, "only one form may follow the defsymphony"),
    ],
)
def test_errors_name_line_column_and_reason(text: str, line: int, column: int, reason: str) -> None:
    """Each malformed text fails at the form at fault, saying what was expected."""
    assert located(text) == (line, column, reason)


def test_error_message_reads_like_a_compiler() -> None:
    """With a source name the message is SOURCE:LINE:COL: reason."""
    with pytest.raises(SymphonyError, match=r'^my\.clj:2:2: unknown operator "weight-equl"$'):
        parse(HEAD + ' (weight-equl [(asset "SPY")]))', "my.clj")


def test_nesting_is_bounded() -> None:
    """Text nested deeper than the reader's limit is refused, not a RecursionError."""
    deep = HEAD + "[" * 400 + '(asset "SPY")' + "]" * 400 + ")"
    line, _column, reason = located(deep)
    assert reason == "nesting deeper than 300 levels" and line == 2

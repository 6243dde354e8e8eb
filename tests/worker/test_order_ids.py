"""Client order ids: deterministic, unique per leg and run, within Alpaca's limit."""

from hypothesis import given
from hypothesis import strategies as st

from alchemiser.worker.ids import MAX_LENGTH, client_order_id, leg, run_prefix, strategy_prefix

text = st.text(min_size=1, max_size=300)


@given(text, text, text)
def test_ids_are_deterministic_bounded_and_share_the_run_prefix(
    uid: str, run_id: str, name: str
) -> None:
    """The same inputs give the same id, at most 128 characters, starting with the run prefix."""
    first = client_order_id(uid, run_id, name)
    assert first == client_order_id(uid, run_id, name)
    assert len(first) <= MAX_LENGTH
    assert first.startswith(run_prefix(uid, run_id))


@given(text, text, text, text)
def test_different_legs_or_runs_give_different_ids(
    uid: str, run_id: str, one: str, other: str
) -> None:
    """Two legs of one run differ, and one leg differs between two runs."""
    if one != other:
        assert client_order_id(uid, run_id, one) != client_order_id(uid, run_id, other)
        assert client_order_id(uid, one, "buy-SPY") != client_order_id(uid, other, "buy-SPY")


def test_leg_names_side_and_symbol() -> None:
    """A leg is side-symbol, and its id stays readable."""
    assert leg("sell", "BRK.B") == "sell-BRK.B"
    assert "sell-BRK.B" in client_order_id("uid", "job-1", leg("sell", "BRK.B"))


@given(text, text, text)
def test_every_run_of_a_strategy_shares_the_strategy_prefix(uid: str, run: str, other: str) -> None:
    """maxOrdersPerDay finds a strategy's orders of every run by one prefix; not another's."""
    assert run_prefix(uid, run).startswith(strategy_prefix(uid))
    assert client_order_id(uid, other, "buy-SPY").startswith(strategy_prefix(uid))
    if uid != other:
        assert strategy_prefix(uid) != strategy_prefix(other)

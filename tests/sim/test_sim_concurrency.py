"""Several clients sharing one exchange: no lost updates, no duplicate client order ids."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest

from alchemiser.sim import embedded


def test_racing_clients_create_each_client_order_id_once(
    exchange: embedded.EmbeddedExchange,
) -> None:
    """8 clients racing to submit the same 15 ids create 15 orders; the rest get 422."""

    def submit_all(_: int) -> tuple[int, int]:
        client = TradingClient(
            exchange.key_id, exchange.secret_key, paper=True, url_override=exchange.base_url
        )
        created = refused = 0
        for n in range(15):
            try:
                client.submit_order(
                    MarketOrderRequest(
                        symbol=("SPY", "QQQ", "BIL")[n % 3],
                        qty=1,
                        side="buy",
                        time_in_force="day",
                        client_order_id=f"race-{n}",
                    )
                )
                created += 1
            except APIError as error:
                assert error.status_code == 422
                refused += 1
        return created, refused

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit_all, range(8)))
    assert sum(c for c, _ in results) == 15
    assert sum(r for _, r in results) == 8 * 15 - 15
    client = TradingClient(
        exchange.key_id, exchange.secret_key, paper=True, url_override=exchange.base_url
    )
    orders = client.get_orders(GetOrdersRequest(status="all", limit=500))
    assert sorted(o.client_order_id for o in orders) == sorted(f"race-{n}" for n in range(15))
    spent = sum(Decimal(str(o.filled_avg_price)) * Decimal(str(o.filled_qty)) for o in orders)
    cash = Decimal(client.get_account().cash or "0")
    assert Decimal("100000") - cash == spent.quantize(Decimal("0.01"))
    assert sum(Decimal(p.qty) for p in client.get_all_positions()) == 15

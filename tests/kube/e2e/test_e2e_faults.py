"""The whole chain under faults: a halt mid-run, Secret rotation, the operator killed mid-run.

Orders go through a recording proxy in front of the paper exchange, so "when
did an order reach the exchange" and "which key did it carry" are measured on
this process's clock, the same clock that stamps the halt's creation.
"""

from __future__ import annotations

import time

from chain import Chain, Proxy, static, strategy, wait

# Twenty symbols at 5% each: twenty buy orders, slow enough with injected latency that a
# halt lands while they are being placed.
SYMBOLS = "SPY QQQ IWM DIA TLT IEF GLD SLV XLK XLF XLE XLV XLY XLP XLU VTV VOX BSV KMLM UUP"
BASKET = dict.fromkeys(SYMBOLS.split(), 0.05)
OPEN_STATUSES = {"new", "accepted", "pending_new", "partially_filled", "held"}


def _first_order(proxy: Proxy, timeout: float = 120) -> None:
    wait("the first order to reach the exchange", proxy.order_posts, timeout)


def test_halt_mid_run_stops_orders_and_cancels_open_ones(chain: Chain) -> None:
    """A halt created while orders are being placed: Job deleted, worker gone, none after."""
    # Every order fills only partly (so it stays open) and every request takes 300 ms.
    exchange, proxy = chain.exchange(faults="latency=300ms,partial=1", cash=100_000)
    chain.start_operator()
    chain.apply(strategy(chain.namespace, "basket", proxy.url, static(BASKET)))
    job = chain.run_now("basket")
    pod = chain.wait_running(job)
    _first_order(proxy)
    halted_at = chain.halt(f"e2e-{chain.namespace}")

    wait("the Job to be deleted", lambda: chain.get("job", job, "-n", chain.namespace) is None, 60)
    pod_name = pod["metadata"]["name"]
    wait(
        "the worker container to stop and its pod to go",
        lambda: chain.get("pod", pod_name, "-n", chain.namespace) is None,
        60,
    )
    gone_at = time.time()
    late = [r for r in proxy.order_posts() if r.received > halted_at]
    assert late == [], [(r.received - halted_at, r.body[:120]) for r in late]
    posted = proxy.order_posts()
    assert 0 < len(posted) < len(BASKET), "the halt did not land while orders were being placed"
    still_open = [o for o in exchange.orders() if o["status"] in OPEN_STATUSES]
    assert still_open == [], [(o["symbol"], o["status"]) for o in still_open]
    assert proxy.cancels(), "the worker canceled nothing"
    assert gone_at - halted_at < 30
    conditions = chain.conditions("basket")
    assert conditions["Halted"]["status"] == "True"


def test_secret_rotated_between_runs_is_used_by_the_next_run(chain: Chain) -> None:
    """After a real Secret update and a key rotation at the broker, the next run succeeds."""
    exchange, proxy = chain.exchange()
    chain.start_operator()
    chain.apply(strategy(chain.namespace, "rotating", proxy.url, static({"SPY": 0.5, "TLT": 0.5})))
    first = chain.run_now("rotating")
    assert chain.wait_last_run("rotating", first)["outcome"] == "Succeeded"

    rotated_at = time.time()
    chain.rotate_secret("broker", "exchange-key-2", "exchange-secret-2")
    exchange.rotate("exchange-key-2", "exchange-secret-2")
    chain.apply(strategy(chain.namespace, "rotating", proxy.url, static({"SPY": 0.5, "IEF": 0.5})))
    second = chain.run_now("rotating")
    last = chain.wait_last_run("rotating", second)
    assert last["outcome"] == "Succeeded", last
    after = [r for r in proxy.requests if r.received > rotated_at]
    assert after, "the second run made no requests"
    assert {r.key_id for r in after} == {"exchange-key-2"}
    refused = [(r.path, r.status) for r in after if r.status in (401, 403)]
    assert refused == []


def test_secret_rotated_during_a_run_is_picked_up(chain: Chain) -> None:
    """Secret updated, then the old key revoked, while a run is under way: it finishes fine.

    The order a careful operator uses: the new key goes into the Secret first; the old
    one stays valid at the broker for a moment (1.5 s here, so the worker certainly makes
    calls in between) and is then revoked. The worker keeps its client until the broker
    refuses it, then re-reads the files (now the new key) and retries once.
    """
    # 600 ms per request: the run's first calls (clock, account, bars) leave time to rotate.
    exchange, proxy = chain.exchange(faults="latency=600ms", cash=100_000)
    chain.start_operator()
    chain.apply(strategy(chain.namespace, "rotating", proxy.url, static(BASKET)))
    job = chain.run_now("rotating")
    pod_name = chain.wait_running(job)["metadata"]["name"]
    wait("the run's first request to the exchange", lambda: proxy.requests, 120, interval=0.05)
    chain.rotate_secret("broker", "exchange-key-2", "exchange-secret-2")
    wait(
        "kubelet to swap the mounted Secret (read inside the container)",
        lambda: chain.mounted_key_id(pod_name) == "exchange-key-2",
        30,
        interval=0.05,
    )
    time.sleep(1.5)
    revoking = time.time()
    exchange.rotate("exchange-key-2", "exchange-secret-2")  # a kubectl exec: takes a moment
    revoked_at = time.time()

    last = chain.wait_last_run("rotating", job)
    assert last["outcome"] == "Succeeded", last
    attempts = [
        status["state"].get("terminated", {}).get("message", "")[-300:]
        for pod in chain.pods_of(job)
        for status in pod["status"].get("containerStatuses") or []
    ]
    assert len(attempts) == 1, f"the first attempt failed; every attempt's result: {attempts}"
    before = [r for r in proxy.requests if r.received < revoking]
    after = [r for r in proxy.requests if r.received > revoked_at + 1.0]
    assert {r.key_id for r in before} == {"exchange-key-1"}
    assert after, "the run finished before the old key was revoked"
    assert {r.key_id for r in after} == {"exchange-key-2"}
    assert all(r.status not in (401, 403) for r in after)
    placed = exchange.orders()
    assert len(placed) == last["ordersSubmitted"] == len(BASKET), chain.result(job)


def test_operator_killed_mid_run_records_the_result_once(chain: Chain) -> None:
    """The operator's container killed while a run trades; the run finishes while no operator
    exists; a new operator pod records the result once, with no second Job or order.

    How it is killed (chain.Operator.kill): SIGSTOP to the container's processes from the
    host, so from that instant the operator runs no code; the Deployment scaled to 0 while
    it is frozen, so kubelet does not restart the container; then SIGKILL. No graceful
    shutdown runs at any point, and no operator pod exists until the Job has finished.
    The restart scales the Deployment back to 1: a new pod, with a new peering identity
    (the dead pod's entry stays in the KopfPeering until its 60 s lifetime passes).
    """
    exchange, proxy = chain.exchange(faults="latency=200ms", cash=100_000)
    operator = chain.start_operator()
    chain.apply(strategy(chain.namespace, "steady", proxy.url, static(BASKET)))
    cronjob = chain.wait_ready("steady")["status"]["cronJobName"]
    job = chain.run_now("steady")
    chain.wait_running(job)
    _first_order(proxy)
    operator.kill()

    def finished() -> bool:
        job_obj = chain.get("job", job, "-n", chain.namespace) or {}
        return bool((job_obj.get("status") or {}).get("succeeded"))

    wait("the run to finish while the operator is down", finished, 180)
    last_before = (chain.strategy("steady").get("status") or {}).get("lastRun") or {}
    assert last_before.get("job") != job, "recorded by an operator that was killed"

    restarted = chain.start_operator()
    assert restarted.pod != operator.pod
    last = chain.wait_last_run("steady", job, timeout=180)
    assert last["outcome"] == "Succeeded", last
    time.sleep(10)  # give a restarted operator time to (wrongly) create or record anything twice
    assert [j["metadata"]["name"] for j in chain.jobs(cronjob)] == [job]
    placed = exchange.orders()
    ids = [o["client_order_id"] for o in placed]
    assert len(ids) == len(set(ids)) == last["ordersSubmitted"]
    events = chain.events("TradingStrategy", "steady")
    recorded = [e for e in events if e["reason"] == "RunFinished" and job in e["message"]]
    assert sum(int(e.get("count") or 1) for e in recorded) == 1, recorded
    labels = {"namespace": chain.namespace, "strategy": "steady", "outcome": "Succeeded"}
    assert restarted.sample("alchemiser_runs_total", **labels) == 1

"""The whole chain on the real control plane: strategy to CronJob to Job to worker to exchange.

The operator is the Helm chart's Deployment and the worker a container from its
CronJob's pod template, both from the built image on the real node (kubelet and
containerd); the worker trades on a paper exchange running beside it, and its result
travels back through the termination message to the strategy's status.
"""

from __future__ import annotations

from typing import Any

from chain import ORIGINAL_MIX, Chain, static, strategy, wait
from kubetest import NODE_NAME

from alchemiser.symphony import digest

NAME = "nuclear-trader"


def test_run_result_reaches_status_conditions_events_and_metrics(chain: Chain) -> None:
    """One run of the 0.3/0.5/0.2 portfolio trades and is recorded everywhere it should be."""
    exchange, proxy = chain.exchange()
    operator = chain.start_operator()
    chain.apply(strategy(chain.namespace, NAME, proxy.url, ORIGINAL_MIX))
    ready = chain.wait_ready(NAME)
    cronjob = chain.get("cronjob", ready["status"]["cronJobName"], "-n", chain.namespace)
    owner = cronjob["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("TradingStrategy", NAME, True)

    job = chain.run_now(NAME)
    job_obj = chain.get("job", job, "-n", chain.namespace)
    assert job_obj["metadata"]["ownerReferences"][0]["name"] == cronjob["metadata"]["name"]
    last = chain.wait_last_run(NAME, job)

    pods = chain.pods_of(job)
    assert [p["spec"]["nodeName"] for p in pods] == [NODE_NAME]
    result = chain.result(job)
    assert result["outcome"] == "Succeeded", result
    assert result["runId"] == job
    placed = exchange.orders()
    assert len(placed) == result["ordersSubmitted"] > 0
    assert {o["client_order_id"] for o in placed} == {o["clientOrderId"] for o in result["orders"]}
    assert {r.key_id for r in proxy.requests} == {exchange.key_id}

    assert last["outcome"] == "Succeeded"
    assert last["ordersSubmitted"] == result["ordersSubmitted"]
    assert last["notional"] > 0
    conditions = chain.conditions(NAME)
    assert conditions["LastRunSucceeded"]["status"] == "True"
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Halted"]["status"] == "False"
    messages = [e["message"] for e in chain.events("TradingStrategy", NAME)]
    assert any(job in m and "Succeeded" in m for m in messages), messages

    labels = {"namespace": chain.namespace, "strategy": NAME}
    wait(
        "alchemiser_runs_total to count the run",
        lambda: operator.sample("alchemiser_runs_total", **labels, outcome="Succeeded") == 1,
        30,
    )
    submitted = operator.sample("alchemiser_orders_total", **labels, outcome="submitted")
    assert submitted == result["ordersSubmitted"]
    assert operator.sample("alchemiser_last_successful_run_timestamp_seconds", **labels) > 0


def test_two_strategies_on_two_accounts_do_not_cross(chain: Chain) -> None:
    """Two strategies run at once, each on its own exchange account; nothing crosses over."""
    exchange_a, proxy_a = chain.exchange("account-a", secret="broker-a", faults="latency=100ms")
    exchange_b, proxy_b = chain.exchange("account-b", secret="broker-b", faults="latency=100ms")
    chain.start_operator()
    weights_a = {"SPY": 0.5, "TLT": 0.5}
    weights_b = {"QQQ": 0.5, "GLD": 0.5}
    chain.apply(
        strategy(chain.namespace, "alpha", proxy_a.url, static(weights_a), secret="broker-a")
    )
    chain.apply(
        strategy(chain.namespace, "beta", proxy_b.url, static(weights_b), secret="broker-b")
    )
    chain.wait_ready("alpha")
    chain.wait_ready("beta")
    job_a = chain.run_now("alpha")
    job_b = chain.run_now("beta")
    last_a = chain.wait_last_run("alpha", job_a)
    last_b = chain.wait_last_run("beta", job_b)

    for last, exchange, proxy, weights, job in (
        (last_a, exchange_a, proxy_a, weights_a, job_a),
        (last_b, exchange_b, proxy_b, weights_b, job_b),
    ):
        assert last["outcome"] == "Succeeded", last
        placed = exchange.orders()
        assert {o["symbol"] for o in placed} == set(weights)
        assert len(placed) == last["ordersSubmitted"]
        result_ids = {o["clientOrderId"] for o in chain.result(job)["orders"]}
        assert {o["client_order_id"] for o in placed} == result_ids
        assert {r.key_id for r in proxy.requests} == {exchange.key_id}
    ids_a = {o["client_order_id"] for o in exchange_a.orders()}
    ids_b = {o["client_order_id"] for o in exchange_b.orders()}
    assert not ids_a & ids_b


SYMPHONY = """(defsymphony "pair" {:rebalance-frequency :daily}
  (weight-equal [(asset "SPY") (asset "TLT")]))"""


def _symphony_map(namespace: str, text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "pair", "namespace": namespace},
        "data": {"pair.clj": text},
    }


def _reason(chain: Chain, name: str) -> tuple[str, str]:
    ready = chain.conditions(name).get("Ready", {})
    return str(ready.get("reason", "")), str(ready.get("message", ""))


def test_a_symphony_from_a_configmap_is_validated_watched_and_traded(chain: Chain) -> None:
    """ConfigMap missing: SymphonyMissing; created: Ready; edited with a typo:
    InvalidParameters naming line:column; fixed: Ready; a run trades exactly the
    symphony's symbols and status records the digest of the text it used."""
    exchange, proxy = chain.exchange()
    chain.start_operator()
    ref = {"configMapRef": {"name": "pair", "key": "pair.clj"}}
    allocation = [{"strategy": "symphony", "weight": 1.0, "parameters": ref}]
    chain.apply(strategy(chain.namespace, "pair", proxy.url, allocation))
    wait("SymphonyMissing", lambda: _reason(chain, "pair")[0] == "SymphonyMissing", 60)
    assert "ConfigMap pair not found" in _reason(chain, "pair")[1]

    chain.apply(_symphony_map(chain.namespace, SYMPHONY))
    chain.wait_ready("pair")
    chain.apply(_symphony_map(chain.namespace, SYMPHONY.replace("weight-equal", "weight-equl")))
    wait("InvalidParameters", lambda: _reason(chain, "pair")[0] == "InvalidParameters", 60)
    assert ':2:3: unknown operator "weight-equl"' in _reason(chain, "pair")[1]
    reasons = [e["reason"] for e in chain.events("TradingStrategy", "pair")]
    assert "SymphonyMissing" in reasons and "InvalidParameters" in reasons

    chain.apply(_symphony_map(chain.namespace, SYMPHONY))
    chain.wait_ready("pair")
    job = chain.run_now("pair")
    last = chain.wait_last_run("pair", job)
    assert last["outcome"] == "Succeeded", last
    assert {o["symbol"] for o in exchange.orders()} == {"SPY", "TLT"}
    assert last["symphonies"] == [{"allocation": 0, "name": "pair", "digest": digest(SYMPHONY)}]

"""The worker's own pod, as the operator builds it, checked from inside its container.

The chart installs the operator; a strategy gets its CronJob; that CronJob's pod
template (service account, securityContext, volumes, env: nothing changed but the
command) runs a probe instead of `alchemiser run`. The runtime, not the manifest,
is what is checked: identity, capabilities, seccomp and the root filesystem as the
process sees them, and what the API server answers the pod's own token.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from chain import Chain, static, strategy, wait
from kubetest import LOCKDOWN_PROBE, LOCKED_DOWN

# Run after LOCKDOWN_PROBE in the same process: the pod's token against the API server,
# through the `kubernetes` Service as the worker reaches it. argv[1]: the strategy's name.
API_PROBE = """
import json, os, ssl, sys, urllib.error, urllib.request
account = "/var/run/secrets/kubernetes.io/serviceaccount"
token = open(f"{account}/token").read().strip()
namespace = open(f"{account}/namespace").read().strip()
context = ssl.create_default_context(cafile=f"{account}/ca.crt")
server = f"https://{os.environ['KUBERNETES_SERVICE_HOST']}:{os.environ['KUBERNETES_SERVICE_PORT']}"
strategies = f"/apis/alchemiser.io/v1alpha1/namespaces/{namespace}/tradingstrategies"
paths = {
    "list secrets": f"/api/v1/namespaces/{namespace}/secrets",
    "get secret": f"/api/v1/namespaces/{namespace}/secrets/broker",
    "list tradingstrategies": strategies,
    "get tradingstrategy": f"{strategies}/{sys.argv[1]}",
    "list tradinghalts": "/apis/alchemiser.io/v1alpha1/tradinghalts",
}
answers = {}
for what, path in paths.items():
    request = urllib.request.Request(server + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            answers[what] = {"code": response.status, "message": ""}
    except urllib.error.HTTPError as error:
        answers[what] = {"code": error.code, "message": json.loads(error.read()).get("message")}
print(json.dumps(answers))
"""


def _self_check_pod(template: dict[str, Any], namespace: str, name: str) -> dict[str, Any]:
    """The CronJob's pod template as a Pod whose only container runs the probes."""
    spec = copy.deepcopy(template["spec"])
    (container,) = spec["containers"]
    container["command"] = ["python3", "-c", LOCKDOWN_PROBE + API_PROBE]
    container["args"] = [name]
    metadata = {**copy.deepcopy(template.get("metadata") or {}), "name": "worker-self-check"}
    metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def test_worker_pod_is_locked_down_and_its_token_reads_no_secrets_or_strategies(
    chain: Chain,
) -> None:
    """From inside a pod of the operator's own worker template: uid/gid 10001, read-only
    root, no capabilities, RuntimeDefault seccomp, no privilege escalation; its
    alchemiser-worker token gets 403 for Secrets and TradingStrategies, 200 for halts."""
    _, proxy = chain.exchange()
    chain.start_operator()
    chain.apply(strategy(chain.namespace, "inspected", proxy.url, static({"SPY": 1.0})))
    cronjob_name = chain.wait_ready("inspected")["status"]["cronJobName"]
    cronjob = chain.get("cronjob", cronjob_name, "-n", chain.namespace)
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    assert template["spec"]["serviceAccountName"] == "alchemiser-worker"
    chain.apply(_self_check_pod(template, chain.namespace, "inspected"))

    def finished() -> str | None:
        pod = chain.get("pod", "worker-self-check", "-n", chain.namespace) or {}
        phase = (pod.get("status") or {}).get("phase")
        return phase if phase in ("Succeeded", "Failed") else None

    phase = wait("the self-check container to finish", finished, 120, interval=0.5)
    logs = chain.kubectl("logs", "-n", chain.namespace, "worker-self-check").stdout
    assert phase == "Succeeded", logs
    lockdown, answers = (json.loads(line) for line in logs.strip().splitlines()[-2:])
    assert lockdown == LOCKED_DOWN
    worker = f"system:serviceaccount:{chain.namespace}:alchemiser-worker"
    for what in ("list secrets", "get secret", "list tradingstrategies", "get tradingstrategy"):
        assert answers[what]["code"] == 403, (what, answers[what])
        assert worker in answers[what]["message"], (what, answers[what])
    # The same token is accepted where the chart grants it: the 403s are RBAC, not a bad token.
    assert answers["list tradinghalts"]["code"] == 200, answers

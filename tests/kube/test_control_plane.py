"""The local control plane behaves like a real cluster where the product relies on it."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubetest import KubeCluster, wait_for

KWOK_NODES = {"kwok-node-0", "kwok-node-1", "kwok-node-2"}


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None


def _cronjob(kube_cluster: KubeCluster, namespace: str, name: str) -> None:
    kube_cluster.kubectl(
        "create", "cronjob", name, "-n", namespace,
        "--image=registry.invalid/noop:1", "--schedule=0 0 1 1 *", "--", "true",
    )  # fmt: skip


def _job_pods(kube_cluster: KubeCluster, namespace: str, job: str) -> list[dict[str, Any]]:
    pods = kube_cluster.get_json("pods", "-n", namespace, "-l", f"job-name={job}")
    return list(pods["items"])


def test_server_reports_a_real_kubernetes_version(kube_cluster: KubeCluster) -> None:
    """/version reports the release the binaries were built from, not a dev placeholder."""
    version = json.loads(kube_cluster.kubectl("version", "-o", "json").stdout)
    server = version["serverVersion"]
    assert re.fullmatch(r"v1\.3\d\.\d+", server["gitVersion"]), server
    assert server["major"] == "1"
    assert server["minor"] == server["gitVersion"].split(".")[1]


def test_nodes_follow_the_devcluster_conventions(kube_cluster: KubeCluster) -> None:
    """Three kwok nodes are Ready and untainted; the real node is tainted for opt-in pods."""
    nodes = {n["metadata"]["name"]: n for n in kube_cluster.get_json("nodes")["items"]}
    assert KWOK_NODES | {"alchemiser-node"} == set(nodes)
    for name in KWOK_NODES:
        assert _condition(nodes[name], "Ready") == "True", name
        assert not nodes[name]["spec"].get("taints"), name
    taints = nodes["alchemiser-node"]["spec"]["taints"]
    assert {"key": "alchemiser.io/real-node", "value": "true", "effect": "NoSchedule"} in taints


@pytest.fixture
def range_crd(kube_cluster: KubeCluster, namespace: str) -> Iterator[str]:
    """A namespaced CRD whose CEL rule demands min <= max; yields its group."""
    group = f"{namespace}.test.alchemiser.io"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"ranges.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "ranges", "singular": "range", "kind": "Range"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "min": {"type": "integer"},
                                        "max": {"type": "integer"},
                                    },
                                    "x-kubernetes-validations": [
                                        {
                                            "rule": "self.min <= self.max",
                                            "message": "min must not exceed max",
                                        }
                                    ],
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    kube_cluster.kubectl("apply", "-f", "-", input=json.dumps(crd))
    kube_cluster.kubectl(
        "wait", "--for=condition=Established", f"crd/ranges.{group}", "--timeout=30s"
    )
    yield group
    kube_cluster.kubectl("delete", "crd", f"ranges.{group}", "--wait=false", check=False)


def test_crd_validation_rule_rejects_a_violating_object(
    kube_cluster: KubeCluster, namespace: str, range_crd: str
) -> None:
    """The apiserver evaluates x-kubernetes-validations and returns the rule's message."""

    def apply(name: str, low: int, high: int) -> subprocess.CompletedProcess[str]:
        obj = {
            "apiVersion": f"{range_crd}/v1",
            "kind": "Range",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"min": low, "max": high},
        }
        return kube_cluster.kubectl("apply", "-f", "-", input=json.dumps(obj), check=False)

    # Discovery of a fresh CRD can lag its Established condition by a moment.
    accepted = wait_for(
        "the valid object to be accepted", lambda: apply("ok", 1, 2).returncode == 0
    )
    assert accepted
    rejected = apply("bad", 5, 1)
    assert rejected.returncode != 0
    assert "min must not exceed max" in rejected.stderr
    stored = kube_cluster.kubectl("get", f"ranges.{range_crd}", "bad", "-n", namespace, check=False)
    assert stored.returncode != 0, "the rejected object must not be stored"


def test_job_created_from_a_cronjob_runs_to_completion(
    kube_cluster: KubeCluster, namespace: str
) -> None:
    """The scheduler binds the pod to a kwok node, kwok runs it to Succeeded, the Job completes."""
    _cronjob(kube_cluster, namespace, "nightly")
    kube_cluster.kubectl("create", "job", "run-1", "--from=cronjob/nightly", "-n", namespace)

    def succeeded_pod() -> dict[str, Any] | None:
        pods = _job_pods(kube_cluster, namespace, "run-1")
        done = [p for p in pods if p.get("status", {}).get("phase") == "Succeeded"]
        return done[0] if done else None

    pod = wait_for("the job's pod to succeed", succeeded_pod, timeout=60)
    assert pod["spec"]["nodeName"] in KWOK_NODES

    def completed_job() -> dict[str, Any] | None:
        job: dict[str, Any] = kube_cluster.get_json("job", "run-1", "-n", namespace)
        return job if _condition(job, "Complete") == "True" else None

    job = wait_for("the job to complete", completed_job, timeout=60)
    assert job["status"]["succeeded"] == 1


def test_deleting_the_cronjob_garbage_collects_its_job(
    kube_cluster: KubeCluster, namespace: str
) -> None:
    """A Job made with --from=cronjob is owned by the CronJob; the garbage collector removes it."""
    _cronjob(kube_cluster, namespace, "hourly")
    kube_cluster.kubectl("create", "job", "run-1", "--from=cronjob/hourly", "-n", namespace)
    job = kube_cluster.get_json("job", "run-1", "-n", namespace)
    owners = [(o["kind"], o["name"]) for o in job["metadata"]["ownerReferences"]]
    assert owners == [("CronJob", "hourly")]
    wait_for("the job's pod", lambda: _job_pods(kube_cluster, namespace, "run-1"))

    kube_cluster.kubectl("delete", "cronjob", "hourly", "-n", namespace, "--wait=false")

    def gone() -> bool:
        jobs = kube_cluster.get_json("jobs", "-n", namespace)["items"]
        return not jobs and not _job_pods(kube_cluster, namespace, "run-1")

    wait_for("the job and its pods to be garbage-collected", gone, timeout=60)


def test_unprivileged_service_account_is_denied_by_rbac(
    kube_cluster: KubeCluster, namespace: str, tmp_path: Path
) -> None:
    """A service account token authenticates, but RBAC allows only what a Role grants it."""
    kube_cluster.kubectl("create", "serviceaccount", "nobody", "-n", namespace)
    token = kube_cluster.kubectl("create", "token", "nobody", "-n", namespace).stdout.strip()
    admin = json.loads(kube_cluster.kubeconfig.read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": "nobody", "user": {"token": token}}],
        "contexts": [
            {"name": "nobody", "context": {"cluster": "alchemiser-dev", "user": "nobody"}}
        ],
        "current-context": "nobody",
    }
    kubeconfig = tmp_path / "nobody.kubeconfig"
    kubeconfig.write_text(json.dumps(config))

    def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(kube_cluster.kubectl_path), f"--kubeconfig={kubeconfig}", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)

    user = f"system:serviceaccount:{namespace}:nobody"
    whoami = as_nobody("auth", "whoami", "-o", "json")
    assert whoami.returncode == 0, whoami.stderr
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == user

    denied = as_nobody("get", "secrets", "-n", namespace)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()
    assert user in denied.stderr

    kube_cluster.kubectl(
        "create", "role", "read-pods", "--verb=get,list", "--resource=pods", "-n", namespace
    )
    kube_cluster.kubectl(
        "create", "rolebinding", "nobody-reads-pods", "--role=read-pods",
        f"--serviceaccount={namespace}:nobody", "-n", namespace,
    )  # fmt: skip
    wait_for(
        "the role binding to apply",
        lambda: as_nobody("get", "pods", "-n", namespace).returncode == 0,
    )
    assert as_nobody("get", "secrets", "-n", namespace).returncode != 0

"""The paper exchange's Kubernetes objects (alchemiser.sim.manifests) that demo and tests use."""

from alchemiser.sim import manifests

PLACEMENT = {"nodeSelector": {"kubernetes.io/hostname": "node-a"}}


def test_the_exchange_runs_locked_down_with_its_key_mounted_not_in_argv() -> None:
    """Non-root, read-only root, no capabilities; the Secret read-only at secret_dir; no token."""
    deployment = manifests.deployment(
        name="ex", image="img:1", args=["--secret-key-file", "/k/secret"], secret="ex-key",
        secret_dir="/k", placement=PLACEMENT,
    )  # fmt: skip
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][:5] == ["sim", "--host", "0.0.0.0", "--port", str(manifests.PORT)]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["volumeMounts"] == [{"name": "key", "mountPath": "/k", "readOnly": True}]
    assert pod["volumes"] == [{"name": "key", "secret": {"secretName": "ex-key"}}]
    assert pod["automountServiceAccountToken"] is False
    assert pod["nodeSelector"] == PLACEMENT["nodeSelector"]
    assert "terminationGracePeriodSeconds" not in pod


def test_state_and_grace_are_added_when_asked_and_the_service_selects_the_pod() -> None:
    """state=True: an emptyDir at /state; grace_seconds sets the pod's; the Service's selector
    is the pod template's labels."""
    deployment = manifests.deployment(
        name="ex", namespace="team-a", image="img:1", args=[], secret="k", secret_dir="/k",
        placement={}, state=True, grace_seconds=1,
    )  # fmt: skip
    pod = deployment["spec"]["template"]["spec"]
    assert {"name": "state", "emptyDir": {}} in pod["volumes"]
    assert {"name": "state", "mountPath": "/state"} in pod["containers"][0]["volumeMounts"]
    assert pod["terminationGracePeriodSeconds"] == 1
    service = manifests.service(name="ex", namespace="team-a")
    assert service["metadata"] == deployment["metadata"] == {"name": "ex", "namespace": "team-a"}
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]

"""The pod runner derives environment, command, status and messages as kubelet does."""

from __future__ import annotations

from pathlib import Path

import pytest
from podrunner import sandbox, spec
from podrunner.sandbox import Launch, Mount, mount_order

LABEL_PATH = "metadata.labels['alchemiser.io/strategy']"
POD = {
    "metadata": {
        "name": "nuclear-run-abc",
        "namespace": "trading",
        "uid": "u-1",
        "labels": {"alchemiser.io/strategy": "nuclear", "app": "x"},
        "annotations": {"note": 'say "hi"'},
    },
    "spec": {
        "nodeName": "alchemiser-local",
        "serviceAccountName": "alchemiser-worker",
        "containers": [
            {"name": "worker", "image": "ghcr.io/alchemiser/alchemiser:0.1.0", "resources": {}}
        ],
    },
    "status": {"podIP": "127.0.0.1", "hostIP": "127.0.0.1"},
}


def _sources(secrets=None, config_maps=None, service_env=None):
    secrets = secrets or {}
    config_maps = config_maps or {}
    return spec.EnvSources(
        secrets=lambda ns, name: secrets.get((ns, name)),
        config_maps=lambda ns, name: config_maps.get((ns, name)),
        service_env=service_env or {},
        allocatable={"cpu": "4", "memory": "8Gi"},
    )


@pytest.mark.parametrize(
    ("image", "own"),
    [
        ("ghcr.io/alchemiser/alchemiser:0.1.0", True),
        ("ghcr.io/alchemiser/alchemiser", True),
        ("ghcr.io/alchemiser/alchemiser@sha256:" + "0" * 64, True),
        ("ghcr.io/alchemiser/alchemiser-evil:1", False),
        ("busybox", False),
        ("localhost:5000/ghcr.io/alchemiser/alchemiser:1", False),
    ],
)
def test_only_the_projects_repository_is_runnable(image: str, own: bool) -> None:
    """Tags and digests are ignored; any other repository (even a prefix match) is foreign."""
    assert spec.is_own_image(image, ("ghcr.io/alchemiser/alchemiser",)) is own


def test_expansion_follows_kubelet_rules() -> None:
    """$(VAR) expands, $$ escapes, unknown names and a lone $ stay literal."""
    env = {"A": "1", "B": "two"}
    assert spec.expand("$(A)-$(B)", env) == "1-two"
    assert spec.expand("$$(A)", env) == "$(A)"
    assert spec.expand("$(MISSING) $ x", env) == "$(MISSING) $ x"
    assert spec.expand("tail $(A", env) == "tail $(A"


def test_env_resolves_every_value_from_kind() -> None:
    """fieldRef, labels, secretKeyRef, configMapKeyRef and resourceFieldRef resolve as kubelet."""
    container = {
        "name": "worker",
        "image": "x",
        "resources": {"limits": {"memory": "256Mi"}},
        "env": [
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {
                "name": "STRAT",
                "valueFrom": {"fieldRef": {"fieldPath": LABEL_PATH}},
            },
            {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "greeting"}}},
            {
                "name": "MEM",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
            },
            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
            {"name": "GREETING", "value": "$(CM), $(NS)"},
        ],
    }
    env = spec.resolve_env(
        POD,
        container,
        _sources(
            secrets={("trading", "s"): {"k": b"v"}},
            config_maps={("trading", "c"): {"greeting": b"hello"}},
            service_env={"KUBERNETES_SERVICE_HOST": "127.0.0.1"},
        ),
    )
    assert env == {
        "NS": "trading",
        "STRAT": "nuclear",
        "KEY": "v",
        "CM": "hello",
        "MEM": "256",
        "CPU": "4",
        "GREETING": "hello, trading",
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
    }


def test_missing_secret_is_a_config_error_unless_optional() -> None:
    """A missing Secret blocks the container (CreateContainerConfigError); optional skips it."""
    ref = {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k"}}}
    with pytest.raises(spec.ContainerConfigError, match="absent"):
        spec.resolve_env(POD, {"name": "w", "env": [ref]}, _sources())
    ref["valueFrom"]["secretKeyRef"]["optional"] = True
    assert spec.resolve_env(POD, {"name": "w", "env": [ref]}, _sources()) == {}


def test_env_from_prefixes_and_skips_invalid_names() -> None:
    """envFrom adds every valid key with its prefix; explicit env entries win."""
    container = {
        "name": "w",
        "envFrom": [{"secretRef": {"name": "s"}, "prefix": "P_"}],
        "env": [{"name": "P_A", "value": "explicit"}],
    }
    data = {"A": b"1", "B": b"2", "not valid=": b"3"}
    env = spec.resolve_env(POD, container, _sources(secrets={("trading", "s"): data}))
    assert env == {"P_A": "explicit", "P_B": "2"}


def test_argv_uses_the_image_entrypoint_when_no_command() -> None:
    """args alone run after the image's entrypoint; command replaces it; both expand $(VAR)."""
    entry = ["/venv/bin/alchemiser"]
    assert spec.container_argv({"args": ["run", "--run-id", "$(JOB)"]}, {"JOB": "j1"}, entry) == [
        "/venv/bin/alchemiser",
        "run",
        "--run-id",
        "j1",
    ]
    assert spec.container_argv({"command": ["sh", "-c"], "args": ["echo"]}, {}, entry) == [
        "sh",
        "-c",
        "echo",
    ]


def test_termination_message_falls_back_to_logs_only_on_error() -> None:
    """File first; with FallbackToLogsOnError an empty file and a failure use the log tail."""
    logs = b"".join(f"line {i}\n".encode() for i in range(200))
    assert spec.termination_message(b'{"outcome":"Halted"}', logs, "FallbackToLogsOnError", 1) == (
        '{"outcome":"Halted"}'
    )
    fallback = spec.termination_message(b"", logs, "FallbackToLogsOnError", 1)
    assert fallback.endswith("line 199\n")
    assert fallback.count("\n") == 80
    assert spec.termination_message(b"", logs, "FallbackToLogsOnError", 0) == ""
    assert spec.termination_message(b"", logs, "File", 1) == ""
    assert len(spec.termination_message(b"x" * 10_000, b"", "File", 0)) == 4096


def test_signals_become_128_plus_n_and_phase_follows_policy() -> None:
    """A SIGKILLed process exits 137; Never gives Succeeded/Failed from the exit codes."""
    assert spec.exit_code(-9) == 137
    assert spec.exit_code(3) == 3
    done = spec.terminated_state(0, "", "t0", "t1", "id")
    failed = spec.terminated_state(2, "boom", "t0", "t1", "id")
    assert done["terminated"]["reason"] == "Completed"
    assert failed["terminated"]["reason"] == "Error"
    assert spec.pod_phase([done], "Never") == "Succeeded"
    assert spec.pod_phase([done, failed], "Never") == "Failed"
    assert spec.pod_phase([spec.running_state("t0")], "Never") == "Running"


def test_conditions_keep_those_owned_by_others() -> None:
    """PodScheduled (the scheduler's) survives; a changed status gets a new transition time."""
    existing = [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "t0"},
        {"type": "Ready", "status": "True", "lastTransitionTime": "t0"},
    ]
    merged = {c["type"]: c for c in spec.merge_conditions(existing, {"Ready": False}, "t1")}
    assert merged["PodScheduled"]["lastTransitionTime"] == "t0"
    assert merged["Ready"] == {
        "type": "Ready",
        "status": "False",
        "lastTransitionTime": "t1",
        "reason": "PodCompleted",
    }


def test_mount_order_keeps_sources_visible() -> None:
    """An emptyDir on /tmp is mounted after binds whose sources live under /tmp."""
    term = Mount(Path("/tmp/state/pod/termination-log"), "/dev/termination-log")
    creds = Mount(Path("/tmp/state/pod/volumes/creds"), "/var/run/secrets/alchemiser/broker")
    tmp = Mount(Path("/tmp/state/pod/volumes/tmp"), "/tmp")
    order = [m.target for m in mount_order([creds, tmp, term])]
    assert order.index("/tmp") > order.index("/dev/termination-log")
    assert order.index("/tmp") > order.index("/var/run/secrets/alchemiser/broker")
    parent = Mount(Path("/srv/a"), "/data")
    child = Mount(Path("/srv/b"), "/data/sub")
    assert [m.target for m in mount_order([child, parent])] == ["/data", "/data/sub"]


def test_a_volume_over_the_checkout_does_not_hide_the_program(tmp_path: Path) -> None:
    """An emptyDir mounted over the directory the program runs from leaves the program visible."""
    scratch = tmp_path / "covered"
    image = scratch / "checkout"
    image.mkdir(parents=True)
    (image / "program").write_text("still here\n")
    empty = tmp_path / "emptydir"
    empty.mkdir()
    log = tmp_path / "container.log"
    launch = Launch(
        argv=["/bin/sh", "-c", f"cat {image}/program; ls {scratch}"],
        env={"PATH": "/usr/bin:/bin"},
        mounts=[Mount(empty, str(scratch))],
        workdir="/",
        log=log,
        image_paths=(str(image),),
    )
    process = sandbox.start(launch)
    assert process.wait(timeout=30) == 0, log.read_text()
    lines = log.read_text().split()
    assert lines == ["still", "here", "checkout"], lines

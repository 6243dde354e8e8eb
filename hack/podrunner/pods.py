"""One pod's life on the runner's node: volumes, processes, status, deletion.

A `PodWorker` thread owns one pod: it refuses foreign images (Pending plus an
Event), sets up volumes (retrying like kubelet's FailedMount), runs init
containers then containers, keeps Secret/ConfigMap volumes in sync while they
run (atomic `..data` swap), reports status, and on deletion sends SIGTERM,
waits the grace period, SIGKILLs, reports the final status and deletes the
pod with grace 0.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podrunner import sandbox, spec, volumes
from podrunner.kube import ApiError, Kube

Obj = dict[str, Any]
RETRY_SECONDS = 2.0
RESTART_BACKOFF_SECONDS = 10.0


def now() -> str:
    """The current time as the API writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Settings:
    """The runner's configuration, shared by every pod worker."""

    node: str
    repositories: tuple[str, ...]
    entrypoint: list[str]
    base_env: dict[str, str]
    state_dir: Path
    allocatable: dict[str, str]
    volume_sync_seconds: float = 1.0
    log: Callable[[str], None] = print


@dataclass
class Running:
    """A started container process."""

    container: Obj
    process: subprocess.Popen[bytes]
    container_id: str
    started_at: str
    restarts: int = 0
    last_state: Obj = field(default_factory=dict)


class PodWorker(threading.Thread):
    """Runs one pod to completion and finalizes its deletion."""

    def __init__(self, kube: Kube, settings: Settings, pod: Obj) -> None:
        meta = pod["metadata"]
        super().__init__(name=f"pod-{meta['namespace']}/{meta['name']}", daemon=True)
        self.kube = kube
        self.settings = settings
        self.pod = pod
        self.uid: str = meta["uid"]
        self.namespace: str = meta["namespace"]
        self.pod_name: str = meta["name"]
        self.dir = settings.state_dir / "pods" / f"{self.namespace}_{self.pod_name}_{self.uid}"
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._stopping = False
        self._gone = False
        self._events: set[str] = set()
        self._tokens: dict[tuple[str, str, int], tuple[str, float]] = {}

    # --- inputs from the watch -------------------------------------------------
    def update(self, pod: Obj) -> None:
        """A newer version of the pod arrived from the watch."""
        with self._lock:
            self.pod = pod
        self._changed.set()

    def gone(self) -> None:
        """The pod no longer exists in the API."""
        self._gone = True
        self._changed.set()

    def stop(self) -> None:
        """The runner is shutting down: stop the pod's processes."""
        self._stopping = True
        self._changed.set()

    @property
    def deleting(self) -> bool:
        with self._lock:
            return bool(self.pod["metadata"].get("deletionTimestamp"))

    def _grace(self) -> float:
        with self._lock:
            meta, pod_spec = self.pod["metadata"], self.pod["spec"]
        value = meta.get("deletionGracePeriodSeconds")
        if value is None:
            value = pod_spec.get("terminationGracePeriodSeconds", 30)
        return float(value)

    # --- API effects -----------------------------------------------------------
    def event(self, reason: str, message: str, kind: str = "Normal") -> None:
        """Record an Event on the pod (each distinct message once per pod)."""
        if f"{reason}:{message}" in self._events:
            return
        self._events.add(f"{reason}:{message}")
        stamp = now()
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{self.pod_name}.", "namespace": self.namespace},
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": self.pod_name,
                "namespace": self.namespace,
                "uid": self.uid,
            },
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": "alchemiser-podrunner", "host": self.settings.node},
            "reportingComponent": "alchemiser-podrunner",
            "reportingInstance": self.settings.node,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            self.kube.request("POST", f"/api/v1/namespaces/{self.namespace}/events", body=body)
        except ApiError as error:
            self.settings.log(
                f"event {reason} for {self.namespace}/{self.pod_name} failed: {error}"
            )

    def report(self, mutate: Callable[[Obj], None]) -> None:
        """Read the pod, change its status, write it back; retry conflicts and API errors.

        A status that cannot be written is logged, never fatal: the pod's processes
        must still be managed (kubelet, too, keeps retrying its status updates).
        """
        path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod_name}"
        for attempt in range(10):
            try:
                pod = self.kube.get(path)
                if pod is None or pod["metadata"]["uid"] != self.uid:
                    return
                mutate(pod.setdefault("status", {}))
                self.kube.request("PUT", path + "/status", body=pod)
                return
            except ApiError as error:
                if error.status == 404:
                    return
                if error.status != 409:
                    self.settings.log(f"pod {self.pod_name}: status update failed: {error}")
                    time.sleep(min(0.2 * 2**attempt, 5.0))
        self.settings.log(f"pod {self.namespace}/{self.pod_name}: gave up updating status")

    def _base_status(self, status: Obj, phase: str, ready: bool) -> None:
        status["phase"] = phase
        status["hostIP"] = "127.0.0.1"
        status["hostIPs"] = [{"ip": "127.0.0.1"}]
        status["podIP"] = "127.0.0.1"
        status["podIPs"] = [{"ip": "127.0.0.1"}]
        status.setdefault("startTime", now())
        running = phase in ("Running", "Pending")
        status["conditions"] = spec.merge_conditions(
            status.get("conditions") or [],
            {
                "PodReadyToStartContainers": running,
                "Initialized": True,
                "ContainersReady": ready,
                "Ready": ready,
            },
            now(),
        )

    def finalize(self) -> None:
        """Delete the pod with grace 0: kubelet's last word once the containers are gone."""
        path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod_name}"
        body = {"gracePeriodSeconds": 0, "preconditions": {"uid": self.uid}}
        try:
            self.kube.request("DELETE", path, body=body)
        except ApiError as error:
            if error.status not in (404, 409):
                raise

    # --- the pod's life ----------------------------------------------------------
    def run(self) -> None:
        try:
            self._live()
        except Exception as error:  # noqa: BLE001  (a thread's top level: log and carry on)
            self.settings.log(f"pod {self.namespace}/{self.pod_name}: runner error: {error!r}")
        finally:
            self._await_deletion()

    def _await_deletion(self) -> None:
        while not self._gone and not self._stopping:
            if self.deleting:
                self.finalize()
                return
            self._changed.wait(5)
            self._changed.clear()

    def _live(self) -> None:
        with self._lock:
            pod = self.pod
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        if self._lost_container(pod):
            return
        foreign = [
            c["image"]
            for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]
            if not spec.is_own_image(c["image"], self.settings.repositories)
        ]
        if foreign:
            self._refuse(pod, foreign[0])
            return
        if not self._prepare():
            return
        for init in pod["spec"].get("initContainers") or []:
            code = self._run_init(init)
            if code is None:
                return
            if code != 0:
                self._finish_failed_init(init, code)
                return
        self._run_containers()

    def _lost_container(self, pod: Obj) -> bool:
        """A pod this node already started, from before a runner restart: its process is gone."""
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        if not any("running" in (s.get("state") or {}) for s in statuses):
            return False

        def mutate(status: Obj) -> None:
            for entry in status.get("containerStatuses") or []:
                started = (entry.get("state") or {}).get("running", {}).get("startedAt", now())
                entry["state"] = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "ContainerStatusUnknown",
                        "message": "The container could not be located when the pod was terminated",
                        "startedAt": started,
                        "finishedAt": now(),
                    }
                }
                entry["ready"] = False
                entry["started"] = False
            self._base_status(status, "Failed", ready=False)

        self.report(mutate)
        return True

    def _refuse(self, pod: Obj, image: str) -> None:
        allowed = ", ".join(self.settings.repositories)
        message = (
            f"node {self.settings.node} is the alchemiser local pod runner: it runs only images "
            f"from {allowed}, not {image}; this pod stays Pending"
        )
        self.settings.log(f"pod {self.namespace}/{self.pod_name}: refused image {image}")
        self.event("ImageNotRunnable", message, "Warning")

        def mutate(status: Obj) -> None:
            self._base_status(status, "Pending", ready=False)
            status["containerStatuses"] = [
                spec.container_status(
                    c, {"waiting": {"reason": "ImageNotRunnable", "message": message}}, None
                )
                for c in pod["spec"]["containers"]
            ]

        self.report(mutate)

    # --- volumes -------------------------------------------------------------------
    def _sources(self) -> volumes.VolumeSources:
        return volumes.VolumeSources(
            secrets=lambda ns, name: self.kube.data_of("secret", ns, name),
            config_maps=lambda ns, name: self.kube.data_of("configmap", ns, name),
            token=self._token,
            allocatable=self.settings.allocatable,
        )

    def _token(self, namespace: str, account: str, audience: str, seconds: int, pod: Obj) -> str:
        """A bound token, requested again only after 80% of its lifetime, as kubelet does."""
        key = (account, audience, seconds)
        cached = self._tokens.get(key)
        if cached is None or time.monotonic() > cached[1]:
            token = self.kube.token(namespace, account, audience, seconds, pod)
            cached = (token, time.monotonic() + 0.8 * seconds)
            self._tokens[key] = cached
        return cached[0]

    def _sync_volumes(self, pod: Obj) -> list[str]:
        """Bring every volume up to date; return the names of the volumes that changed."""
        changed = []
        sources = self._sources()
        for volume in pod["spec"].get("volumes") or []:
            target = self.dir / "volumes" / volume["name"]
            if "emptyDir" in volume:
                target.mkdir(parents=True, exist_ok=True)
                target.chmod(0o777)
                continue
            files = volumes.payload(pod, volume, sources)
            if volumes.write_atomically(target, files):
                changed.append(volume["name"])
        return changed

    def _prepare(self) -> bool:
        """Set up volumes, retrying while a Secret or ConfigMap is missing; False if deleted."""
        while True:
            with self._lock:
                pod = self.pod
            if self.deleting or self._gone or self._stopping:
                return False
            try:
                self._sync_volumes(pod)
                return True
            except spec.ContainerConfigError as error:
                self.event("FailedMount", str(error), "Warning")
                self._waiting(pod, "ContainerCreating", str(error))
            self._changed.wait(RETRY_SECONDS)
            self._changed.clear()

    def _waiting(self, pod: Obj, reason: str, message: str) -> None:
        def mutate(status: Obj) -> None:
            self._base_status(status, "Pending", ready=False)
            status["containerStatuses"] = [
                spec.container_status(c, {"waiting": {"reason": reason, "message": message}}, None)
                for c in pod["spec"]["containers"]
            ]

        self.report(mutate)

    # --- processes -----------------------------------------------------------------
    def _service_env(self) -> dict[str, str]:
        host, port = self.kube.server
        return {
            "KUBERNETES_SERVICE_HOST": host,
            "KUBERNETES_SERVICE_PORT": str(port),
            "KUBERNETES_SERVICE_PORT_HTTPS": str(port),
            "KUBERNETES_PORT": f"tcp://{host}:{port}",
            f"KUBERNETES_PORT_{port}_TCP": f"tcp://{host}:{port}",
            f"KUBERNETES_PORT_{port}_TCP_PROTO": "tcp",
            f"KUBERNETES_PORT_{port}_TCP_PORT": str(port),
            f"KUBERNETES_PORT_{port}_TCP_ADDR": host,
        }

    def _launch(self, container: Obj) -> sandbox.Launch | None:
        """Resolve the container's environment and mounts; None (and waiting) on config errors."""
        while True:
            with self._lock:
                pod = self.pod
            if self.deleting or self._gone or self._stopping:
                return None
            sources = spec.EnvSources(
                secrets=lambda ns, name: self.kube.data_of("secret", ns, name),
                config_maps=lambda ns, name: self.kube.data_of("configmap", ns, name),
                service_env=self._service_env(),
                allocatable=self.settings.allocatable,
            )
            try:
                env = spec.resolve_env(pod, container, sources)
                break
            except spec.ContainerConfigError as error:
                self.event("Failed", f"Error: {error}", "Warning")
                self._waiting(pod, "CreateContainerConfigError", str(error))
            self._changed.wait(RETRY_SECONDS)
            self._changed.clear()
        full_env = {
            **self.settings.base_env,
            "HOSTNAME": pod["spec"].get("hostname") or self.pod_name,
            **env,
        }
        argv = spec.container_argv(container, full_env, self.settings.entrypoint)
        if argv and Path(argv[0]).name == "alchemiser":
            argv = [self.settings.entrypoint[0], *argv[1:]]
        cdir = self.dir / "containers" / container["name"]
        cdir.mkdir(parents=True, exist_ok=True)
        term = cdir / "termination-log"
        term.write_bytes(b"")
        term.chmod(0o666)
        mounts = [
            sandbox.Mount(term, container.get("terminationMessagePath") or "/dev/termination-log")
        ]
        for vm in container.get("volumeMounts") or []:
            source = self.dir / "volumes" / vm["name"]
            if vm.get("subPath"):
                source = source / vm["subPath"]
            mounts.append(sandbox.Mount(source, vm["mountPath"], bool(vm.get("readOnly"))))
        security = container.get("securityContext") or {}
        drop = [c.upper() for c in (security.get("capabilities") or {}).get("drop") or []]
        return sandbox.Launch(
            argv=argv,
            env=full_env,
            mounts=mounts,
            workdir=container.get("workingDir") or "/",
            log=cdir / "container.log",
            read_only_root=bool(security.get("readOnlyRootFilesystem")),
            drop_capabilities="ALL" in drop,
            no_new_privileges=security.get("allowPrivilegeEscalation") is False,
            image_paths=(str(_image_root(self.settings.entrypoint[0])),),
        )

    def _start(self, container: Obj, restarts: int = 0, last: Obj | None = None) -> Running | None:
        launch = self._launch(container)
        if launch is None:
            return None
        process = sandbox.start(launch)
        cid = f"podrunner://{self.uid[:8]}-{container['name']}-{process.pid}"
        self.settings.log(
            f"pod {self.namespace}/{self.pod_name}: started {container['name']} "
            f"pid {process.pid}: {' '.join(launch.argv)} (log {launch.log})"
        )
        self.event("Started", f"Started container {container['name']} (pid {process.pid})")
        return Running(container, process, cid, now(), restarts, last or {})

    def _terminated(self, run: Running) -> Obj:
        code = spec.exit_code(run.process.returncode)
        cdir = self.dir / "containers" / run.container["name"]
        file_text = (cdir / "termination-log").read_bytes()
        log = cdir / "container.log"
        tail = log.read_bytes()[-65536:] if log.exists() else b""
        policy = run.container.get("terminationMessagePolicy") or "File"
        message = spec.termination_message(file_text, tail, policy, code)
        return spec.terminated_state(code, message, run.started_at, now(), run.container_id)

    def _run_init(self, container: Obj) -> int | None:
        run = self._start(container)
        if run is None:
            return None
        while run.process.poll() is None:
            if self.deleting or self._stopping:
                self._kill([run])
                return None
            self._changed.wait(0.2)
            self._changed.clear()
        state = self._terminated(run)

        def mutate(status: Obj) -> None:
            entries = [
                e
                for e in status.get("initContainerStatuses") or []
                if e["name"] != container["name"]
            ]
            entries.append(spec.container_status(container, state, run.container_id))
            status["initContainerStatuses"] = entries

        self.report(mutate)
        return int(state["terminated"]["exitCode"])

    def _finish_failed_init(self, container: Obj, code: int) -> None:
        def mutate(status: Obj) -> None:
            self._base_status(status, "Failed", ready=False)

        self.settings.log(
            f"pod {self.namespace}/{self.pod_name}: init {container['name']} exit {code}"
        )
        self.report(mutate)

    def _report_containers(self, runs: list[Running], finished: dict[str, Obj]) -> str:
        with self._lock:
            pod = self.pod
        policy = pod["spec"].get("restartPolicy", "Always")
        entries, states = [], []
        for run in runs:
            state = finished.get(run.container["name"]) or spec.running_state(run.started_at)
            states.append(state)
            entries.append(
                spec.container_status(
                    run.container, state, run.container_id, run.restarts, run.last_state
                )
            )
        phase = spec.pod_phase(states, policy)
        ready = phase == "Running" and all("running" in s for s in states)

        def mutate(status: Obj) -> None:
            self._base_status(status, phase, ready)
            status["containerStatuses"] = entries

        self.report(mutate)
        return phase

    def _kill(self, runs: list[Running]) -> None:
        """SIGTERM, the grace period, then SIGKILL: what kubelet does on deletion."""
        alive = [r for r in runs if r.process.poll() is None]
        if not alive:
            return
        grace = self._grace() if self.deleting else 5.0
        for run in alive:
            sandbox.terminate(run.process)
            self.settings.log(
                f"pod {self.namespace}/{self.pod_name}: sent SIGTERM to {run.container['name']} "
                f"(grace {grace:.0f}s)"
            )
            self.event("Killing", f"Stopping container {run.container['name']}")
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(r.process.poll() is None for r in alive):
            time.sleep(0.02)
        for run in alive:
            sandbox.kill(run.process)
            run.process.wait()
            code = spec.exit_code(run.process.returncode)
            self.settings.log(
                f"pod {self.namespace}/{self.pod_name}: {run.container['name']} exited {code} "
                "after SIGTERM"
            )

    def _run_containers(self) -> None:
        with self._lock:
            pod = self.pod
        runs: list[Running] = []
        for container in pod["spec"]["containers"]:
            run = self._start(container)
            if run is None:
                self._kill(runs)
                return
            runs.append(run)
        try:
            self._supervise(pod, runs)
        except Exception:
            self._kill(runs)  # never leave a container running that nobody supervises
            raise

    def _supervise(self, pod: Obj, runs: list[Running]) -> None:
        """Report, reap, refresh volumes and react to deletion until the pod is finished."""
        self._report_containers(runs, {})
        deadline = pod["spec"].get("activeDeadlineSeconds")
        started = time.monotonic()
        finished: dict[str, Obj] = {}
        last_sync = time.monotonic()
        while True:
            if self.deleting or self._stopping or self._gone:
                self._stop_all(runs, finished, report=not self._gone)
                return
            if deadline is not None and time.monotonic() - started > float(deadline):
                self.event("DeadlineExceeded", "Pod was active longer than its deadline", "Warning")
                self._stop_all(runs, finished, report=True)
                return
            if self._reap(runs, finished):
                phase = self._report_containers(runs, finished)
                if phase in ("Succeeded", "Failed"):
                    return
            if time.monotonic() - last_sync >= self.settings.volume_sync_seconds:
                last_sync = time.monotonic()
                self._refresh_volumes()
            self._changed.wait(0.1)
            self._changed.clear()

    def _stop_all(self, runs: list[Running], finished: dict[str, Obj], *, report: bool) -> None:
        self._kill(runs)
        for run in runs:
            finished.setdefault(run.container["name"], self._terminated(run))
        if report:
            self._report_containers(runs, finished)

    def _reap(self, runs: list[Running], finished: dict[str, Obj]) -> bool:
        """Collect exited containers, restarting them when the restart policy says so."""
        with self._lock:
            policy = self.pod["spec"].get("restartPolicy", "Always")
        progressed = False
        for i, run in enumerate(runs):
            name = run.container["name"]
            if name in finished or run.process.poll() is None:
                continue
            state = self._terminated(run)
            code = state["terminated"]["exitCode"]
            self.settings.log(f"pod {self.namespace}/{self.pod_name}: {name} exited {code}")
            progressed = True
            if policy == "Always" or (policy == "OnFailure" and code != 0):
                self._changed.wait(RESTART_BACKOFF_SECONDS)
                again = self._start(run.container, run.restarts + 1, state)
                if again is not None:
                    runs[i] = again
                    continue
            finished[name] = state
        return progressed

    def _refresh_volumes(self) -> None:
        """Keep Secret and ConfigMap volumes current while containers run (rotation)."""
        with self._lock:
            pod = self.pod
        try:
            for name in self._sync_volumes(pod):
                self.settings.log(f"pod {self.pod_name}: volume {name} updated")
        except spec.ContainerConfigError as error:
            self.event("FailedMount", str(error), "Warning")


def _image_root(entrypoint: str) -> Path:
    """The checkout the entrypoint runs from: <root>/.venv/bin/alchemiser -> <root>."""
    executable = Path(entrypoint).absolute()
    venv = executable.parent.parent if executable.parent.name == "bin" else executable.parent
    return venv.parent

"""What kubelet would derive from a pod spec: environment, command, status, messages.

Pure: every function is a function of its arguments (objects from the API as
plain dicts, plus look-up callables for Secrets and ConfigMaps). No I/O here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Obj = dict[str, Any]
# (namespace, name) -> the Secret's or ConfigMap's data (decoded bytes), or None if absent
Lookup = Callable[[str, str], dict[str, bytes] | None]

TERMINATION_MESSAGE_LIMIT = 4096  # bytes kubelet keeps from the termination message file
FALLBACK_LOG_BYTES = 2048  # FallbackToLogsOnError: the smaller of 2048 bytes ...
FALLBACK_LOG_LINES = 80  # ... or 80 lines from the end of the log

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_FIELD_KEY = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ContainerConfigError(Exception):
    """The container cannot be started yet (kubelet's CreateContainerConfigError)."""


def image_repository(image: str) -> str:
    """Return the repository part of an image reference (no tag, no digest)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    return name


def is_own_image(image: str, repositories: tuple[str, ...]) -> bool:
    """Whether the image is one of the repositories this runner may execute."""
    return image_repository(image) in repositories


def expand(text: str, mapping: Mapping[str, str]) -> str:
    """Expand $(VAR) references as kubelet does: $$ escapes, unknown names stay literal."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            end = text.find(")", i + 2)
            if end == -1:
                out.append(text[i:])
                break
            name = text[i + 2 : end]
            out.append(mapping[name] if name in mapping else text[i : end + 1])
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_quantity(text: str) -> Decimal:
    """Parse a Kubernetes resource quantity ('250m', '1Gi', '2') into a number."""
    suffixes = {
        "n": Decimal("1e-9"),
        "u": Decimal("1e-6"),
        "m": Decimal("1e-3"),
        "": Decimal(1),
        "k": Decimal(10) ** 3,
        "M": Decimal(10) ** 6,
        "G": Decimal(10) ** 9,
        "T": Decimal(10) ** 12,
        "Ki": Decimal(2) ** 10,
        "Mi": Decimal(2) ** 20,
        "Gi": Decimal(2) ** 30,
        "Ti": Decimal(2) ** 40,
    }
    match = re.fullmatch(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)", str(text).strip())
    if not match or match.group(2) not in suffixes:
        raise ContainerConfigError(f"invalid quantity {text!r}")
    return Decimal(match.group(1)) * suffixes[match.group(2)]


def field_value(pod: Obj, path: str) -> str:
    """Resolve a downward API fieldRef path against the pod."""
    meta = pod.get("metadata", {})
    spec = pod.get("spec", {})
    status = pod.get("status", {})
    keyed = _FIELD_KEY.match(path)
    if keyed:
        return str((meta.get(keyed.group(1)) or {}).get(keyed.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "".join(f'{k}="{_escape(v)}"\n' for k, v in sorted(items.items()))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
        "status.hostIPs": ",".join(ip["ip"] for ip in status.get("hostIPs") or []),
        "status.podIPs": ",".join(ip["ip"] for ip in status.get("podIPs") or []),
    }
    if path not in simple:
        raise ContainerConfigError(f"unsupported fieldRef {path!r}")
    return str(simple[path] or "")


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def resource_value(
    container: Obj, ref: Obj, allocatable: Mapping[str, str], pod_containers: list[Obj]
) -> str:
    """Resolve a resourceFieldRef: the container's limit or request, else node allocatable."""
    target = container
    if ref.get("containerName"):
        named = [c for c in pod_containers if c.get("name") == ref["containerName"]]
        if not named:
            raise ContainerConfigError(f"resourceFieldRef names unknown container {ref!r}")
        target = named[0]
    kind, _, resource = str(ref["resource"]).partition(".")
    resources = target.get("resources") or {}
    value = (resources.get(kind) or {}).get(resource)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(resource)
    if value is None:
        value = allocatable.get(resource, "0")
    divisor = parse_quantity(str(ref.get("divisor") or "1"))
    return str(math.ceil(parse_quantity(str(value)) / divisor))


def _key_ref(kind: str, ref: Obj, namespace: str, lookup: Lookup) -> str | None:
    data = lookup(namespace, ref["name"])
    optional = bool(ref.get("optional"))
    if data is None:
        if optional:
            return None
        raise ContainerConfigError(f'{kind} "{ref["name"]}" not found')
    if ref["key"] not in data:
        if optional:
            return None
        raise ContainerConfigError(f"couldn't find key {ref['key']} in {kind} {ref['name']}")
    return data[ref["key"]].decode("utf-8", "replace")


@dataclass(frozen=True)
class EnvSources:
    """Where environment values come from, besides the pod itself."""

    secrets: Lookup
    config_maps: Lookup
    service_env: Mapping[str, str]  # KUBERNETES_SERVICE_HOST and friends
    allocatable: Mapping[str, str]


def resolve_env(pod: Obj, container: Obj, sources: EnvSources) -> dict[str, str]:
    """The container's environment as kubelet builds it (envFrom, then env, then services)."""
    namespace = pod["metadata"]["namespace"]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, lookup, ref_key in (
            ("configmap", sources.config_maps, "configMapRef"),
            ("secret", sources.secrets, "secretRef"),
        ):
            ref = source.get(ref_key)
            if not ref:
                continue
            data = lookup(namespace, ref["name"])
            if data is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(f'{kind} "{ref["name"]}" not found')
            for key, raw in data.items():
                if _ENV_NAME.match(prefix + key):
                    env[prefix + key] = raw.decode("utf-8", "replace")
    containers = list(pod["spec"].get("containers") or [])
    for var in container.get("env") or []:
        name = var["name"]
        source = var.get("valueFrom")
        if source is None:
            env[name] = expand(var.get("value", ""), {**sources.service_env, **env})
            continue
        value: str | None
        if "fieldRef" in source:
            value = field_value(pod, source["fieldRef"]["fieldPath"])
        elif "resourceFieldRef" in source:
            value = resource_value(
                container, source["resourceFieldRef"], sources.allocatable, containers
            )
        elif "secretKeyRef" in source:
            value = _key_ref("secret", source["secretKeyRef"], namespace, sources.secrets)
        elif "configMapKeyRef" in source:
            value = _key_ref("configmap", source["configMapKeyRef"], namespace, sources.config_maps)
        else:
            raise ContainerConfigError(f"unsupported valueFrom for {name}: {sorted(source)}")
        if value is not None:
            env[name] = value
    for name, value in sources.service_env.items():
        env.setdefault(name, value)
    return env


def container_argv(container: Obj, env: Mapping[str, str], entrypoint: list[str]) -> list[str]:
    """The process argv: command (or the image entrypoint) plus args, with $(VAR) expanded."""
    command = [expand(part, env) for part in container.get("command") or []]
    args = [expand(part, env) for part in container.get("args") or []]
    return (command or list(entrypoint)) + args


def exit_code(returncode: int) -> int:
    """A container runtime's exit code: a signal N becomes 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def termination_message(file_text: bytes, log_tail: bytes, policy: str, code: int) -> str:
    """The termination message kubelet reports (file first; logs only on error if asked)."""
    message = file_text[:TERMINATION_MESSAGE_LIMIT]
    if not message.strip() and policy == "FallbackToLogsOnError" and code != 0:
        lines = log_tail.splitlines(keepends=True)[-FALLBACK_LOG_LINES:]
        message = b"".join(lines)[-FALLBACK_LOG_BYTES:]
    return message.decode("utf-8", "replace")


def running_state(started_at: str) -> Obj:
    """A containerStatuses[].state for a running container."""
    return {"running": {"startedAt": started_at}}


def terminated_state(
    code: int, message: str, started_at: str, finished_at: str, container_id: str
) -> Obj:
    """A containerStatuses[].state for a finished container."""
    state: Obj = {
        "exitCode": code,
        "reason": "Completed" if code == 0 else "Error",
        "startedAt": started_at,
        "finishedAt": finished_at,
        "containerID": container_id,
    }
    if message:
        state["message"] = message
    return {"terminated": state}


def container_status(
    container: Obj, state: Obj, container_id: str | None, restarts: int = 0, last: Obj | None = None
) -> Obj:
    """One containerStatuses[] entry."""
    running = "running" in state
    status: Obj = {
        "name": container["name"],
        "image": container["image"],
        "imageID": "",
        "ready": running,
        "started": running,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }
    if container_id:
        status["containerID"] = container_id
    return status


def pod_phase(states: list[Obj], restart_policy: str) -> str:
    """The pod phase from its containers' states."""
    if any("waiting" in s for s in states) or not states:
        return "Pending"
    if any("running" in s for s in states):
        return "Running"
    codes = [s["terminated"]["exitCode"] for s in states]
    if restart_policy == "Always":
        return "Running"
    return "Succeeded" if all(c == 0 for c in codes) else "Failed"


def merge_conditions(existing: list[Obj], updates: Mapping[str, bool], now: str) -> list[Obj]:
    """Set condition statuses by type, keeping conditions others own (PodScheduled, ...)."""
    by_type = {c["type"]: dict(c) for c in existing}
    for kind, value in updates.items():
        text = "True" if value else "False"
        current = by_type.get(kind)
        if current is None or current.get("status") != text:
            by_type[kind] = {"type": kind, "status": text, "lastTransitionTime": now}
            if kind in ("Ready", "ContainersReady") and not value:
                by_type[kind]["reason"] = "PodCompleted"
    return list(by_type.values())

"""Volume contents and kubelet's on-disk layout for Secret, ConfigMap, projected volumes.

`payload` is pure: it turns a volume definition plus look-ups into the files
the volume holds. `write_atomically` reproduces kubelet's AtomicWriter: the
files live in a timestamped directory, `..data` is a symlink to it, each
top-level name is a symlink through `..data`, and an update writes a new
directory and renames a fresh `..data_tmp` symlink over `..data`, so a reader
sees either the old set of files or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from podrunner.spec import ContainerConfigError, Lookup, Obj, field_value, resource_value

DATA_LINK = "..data"
DATA_LINK_TMP = "..data_tmp"
DEFAULT_MODE = 0o644
TOKEN_MODE = 0o600

# (namespace, service account, audience or "", expiration seconds, pod) -> token
TokenSource = Callable[[str, str, str, int, Obj], str]


@dataclass(frozen=True)
class File:
    """One file of a volume."""

    data: bytes
    mode: int


Payload = dict[str, File]


@dataclass(frozen=True)
class VolumeSources:
    """Where volume contents come from."""

    secrets: Lookup
    config_maps: Lookup
    token: TokenSource
    allocatable: Mapping[str, str]


class MountError(ContainerConfigError):
    """A volume cannot be set up yet (kubelet's FailedMount)."""


def _keyed(
    kind: str, name: str, data: dict[str, bytes] | None, source: Obj, default_mode: int
) -> Payload:
    if data is None:
        if source.get("optional"):
            return {}
        raise MountError(f'{kind} "{name}" not found')
    items = source.get("items")
    if not items:
        return {key: File(value, default_mode) for key, value in data.items()}
    out: Payload = {}
    for item in items:
        if item["key"] not in data:
            if source.get("optional"):
                continue
            raise MountError(f"{kind} {name} has no key {item['key']}")
        out[item["path"]] = File(data[item["key"]], item.get("mode", default_mode))
    return out


def _downward(
    pod: Obj, items: list[Obj], default_mode: int, allocatable: Mapping[str, str]
) -> Payload:
    out: Payload = {}
    containers = list(pod["spec"].get("containers") or [])
    for item in items:
        if "fieldRef" in item:
            text = field_value(pod, item["fieldRef"]["fieldPath"])
        else:
            ref = item["resourceFieldRef"]
            text = resource_value(containers[0], ref, allocatable, containers)
        out[item["path"]] = File(text.encode(), item.get("mode", default_mode))
    return out


def payload(pod: Obj, volume: Obj, sources: VolumeSources) -> Payload:
    """The files a Secret, ConfigMap, projected or downwardAPI volume holds for this pod."""
    namespace = pod["metadata"]["namespace"]
    if "secret" in volume:
        src = volume["secret"]
        mode = src.get("defaultMode", DEFAULT_MODE)
        name = src["secretName"]
        return _keyed("secret", name, sources.secrets(namespace, name), src, mode)
    if "configMap" in volume:
        src = volume["configMap"]
        mode = src.get("defaultMode", DEFAULT_MODE)
        name = src["name"]
        return _keyed("configmap", name, sources.config_maps(namespace, name), src, mode)
    if "downwardAPI" in volume:
        src = volume["downwardAPI"]
        mode = src.get("defaultMode", DEFAULT_MODE)
        return _downward(pod, src.get("items") or [], mode, sources.allocatable)
    if "projected" in volume:
        return _projected(pod, volume["projected"], sources)
    raise MountError(f"volume {volume['name']}: unsupported volume type {sorted(volume)}")


def _projected(pod: Obj, projected: Obj, sources: VolumeSources) -> Payload:
    namespace = pod["metadata"]["namespace"]
    default_mode = projected.get("defaultMode", DEFAULT_MODE)
    out: Payload = {}
    for source in projected.get("sources") or []:
        if "secret" in source:
            src = source["secret"]
            data = sources.secrets(namespace, src["name"])
            out |= _keyed("secret", src["name"], data, src, default_mode)
        elif "configMap" in source:
            src = source["configMap"]
            data = sources.config_maps(namespace, src["name"])
            out |= _keyed("configmap", src["name"], data, src, default_mode)
        elif "downwardAPI" in source:
            items = source["downwardAPI"].get("items") or []
            out |= _downward(pod, items, default_mode, sources.allocatable)
        elif "serviceAccountToken" in source:
            src = source["serviceAccountToken"]
            account = pod["spec"].get("serviceAccountName") or "default"
            token = sources.token(
                namespace,
                account,
                src.get("audience", ""),
                int(src.get("expirationSeconds", 3607)),
                pod,
            )
            mode = TOKEN_MODE if "defaultMode" not in projected else default_mode
            out[src["path"]] = File(token.encode(), mode)
        else:
            raise MountError(f"unsupported projected source {sorted(source)}")
    return out


def current(target: Path) -> Payload | None:
    """The payload a volume directory holds now (None if never written)."""
    data_dir = target / DATA_LINK
    if not data_dir.is_symlink():
        return None
    out: Payload = {}
    root = data_dir.resolve()
    for path in root.rglob("*"):
        if path.is_file():
            out[str(path.relative_to(root))] = File(path.read_bytes(), path.stat().st_mode & 0o777)
    return out


def write_atomically(target: Path, files: Payload) -> bool:
    """Make `target` hold exactly `files` with kubelet's layout; return whether it changed."""
    target.mkdir(parents=True, exist_ok=True)
    if current(target) == files:
        return False
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    new_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=target))
    new_dir.chmod(0o755)
    for rel, item in files.items():
        path = new_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.data)
        path.chmod(item.mode)
    old_dir = (target / DATA_LINK).resolve() if (target / DATA_LINK).is_symlink() else None
    tmp_link = target / DATA_LINK_TMP
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(new_dir.name)
    os.replace(tmp_link, target / DATA_LINK)
    wanted = {rel.split("/", 1)[0] for rel in files}
    for name in wanted:
        link = target / name
        if not link.is_symlink():
            link.symlink_to(f"{DATA_LINK}/{name}")
    for entry in target.iterdir():
        if entry.name.startswith(".."):
            continue
        if entry.name not in wanted and entry.is_symlink():
            entry.unlink()
    if old_dir is not None and old_dir != new_dir:
        shutil.rmtree(old_dir, ignore_errors=True)
    return True

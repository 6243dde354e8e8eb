"""Secret and ConfigMap volumes get kubelet's on-disk layout, and updates swap atomically."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from podrunner import volumes

POD = {
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"a": "1"}},
    "spec": {"serviceAccountName": "sa", "containers": [{"name": "c", "image": "i"}]},
    "status": {},
}


def _sources(secrets: dict, tokens: list[str] | None = None) -> volumes.VolumeSources:
    issued = tokens if tokens is not None else []

    def token(namespace: str, account: str, audience: str, seconds: int, pod: dict) -> str:
        issued.append(f"{namespace}/{account}/{seconds}")
        return "token-1"

    return volumes.VolumeSources(
        secrets=lambda ns, name: secrets.get((ns, name)),
        config_maps=lambda ns, name: {"ca.crt": b"CA"} if name == "kube-root-ca.crt" else None,
        token=token,
        allocatable={},
    )


def test_layout_is_timestamped_dir_data_link_and_key_links(tmp_path: Path) -> None:
    """Files live in ..<timestamp>/, ..data points there, each key is a link via ..data."""
    volume = {"name": "creds", "secret": {"secretName": "s", "defaultMode": 0o400}}
    files = volumes.payload(POD, volume, _sources({("ns", "s"): {"K": b"1", "S": b"2"}}))
    assert volumes.write_atomically(tmp_path, files)
    data = tmp_path / "..data"
    assert data.is_symlink()
    assert os.readlink(data).startswith("..20")
    assert os.readlink(tmp_path / "K") == "..data/K"
    assert (tmp_path / "K").read_bytes() == b"1"
    assert ((tmp_path / "S").stat().st_mode & 0o777) == 0o400
    assert not volumes.write_atomically(tmp_path, files), "unchanged content rewrote the volume"


def test_update_swaps_data_and_drops_removed_keys(tmp_path: Path) -> None:
    """A rotation replaces ..data in one rename, removes the old directory and stale links."""
    volume = {"name": "creds", "secret": {"secretName": "s"}}
    first = volumes.payload(POD, volume, _sources({("ns", "s"): {"K": b"old", "X": b"gone"}}))
    volumes.write_atomically(tmp_path, first)
    old_dir = os.readlink(tmp_path / "..data")
    second = volumes.payload(POD, volume, _sources({("ns", "s"): {"K": b"new"}}))
    assert volumes.write_atomically(tmp_path, second)
    assert (tmp_path / "K").read_bytes() == b"new"
    assert not (tmp_path / "X").exists()
    assert not (tmp_path / old_dir).exists()
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".."))
    assert len(hidden) == 2, hidden  # ..data and the one current timestamped directory


def test_a_reader_never_sees_a_mix_of_old_and_new_keys(tmp_path: Path) -> None:
    """While the pair is rotated 200 times, every read through the links is a consistent pair."""
    volume = {"name": "creds", "secret": {"secretName": "s"}}

    def pair(n: int) -> volumes.Payload:
        data = {"ID": f"id-{n}".encode(), "SECRET": f"secret-{n}".encode()}
        return volumes.payload(POD, volume, _sources({("ns", "s"): data}))

    volumes.write_atomically(tmp_path, pair(0))
    stop = threading.Event()
    mismatches: list[tuple[str, str]] = []

    def read() -> None:
        while not stop.is_set():
            data = tmp_path / "..data"
            try:
                root = tmp_path / os.readlink(data)
                key_id = (root / "ID").read_text()
                secret = (root / "SECRET").read_text()
            except FileNotFoundError:
                continue  # the directory was removed after we resolved it; kubelet readers retry
            if key_id.split("-")[1] != secret.split("-")[1]:
                mismatches.append((key_id, secret))

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(1, 200):
        volumes.write_atomically(tmp_path, pair(n))
    stop.set()
    reader.join()
    assert mismatches == []
    assert (tmp_path / "ID").read_text() == "id-199"


def test_items_select_keys_paths_and_modes(tmp_path: Path) -> None:
    """items pick keys into nested paths with their own modes; a missing key fails the mount."""
    volume = {
        "name": "cfg",
        "secret": {
            "secretName": "s",
            "items": [{"key": "K", "path": "nested/key.txt", "mode": 0o440}],
        },
    }
    files = volumes.payload(POD, volume, _sources({("ns", "s"): {"K": b"1", "Other": b"2"}}))
    assert files == {"nested/key.txt": volumes.File(b"1", 0o440)}
    volumes.write_atomically(tmp_path, files)
    assert (tmp_path / "nested" / "key.txt").read_bytes() == b"1"
    bad = {"name": "cfg", "secret": {"secretName": "s", "items": [{"key": "Z", "path": "z"}]}}
    with pytest.raises(volumes.MountError, match="no key Z"):
        volumes.payload(POD, bad, _sources({("ns", "s"): {"K": b"1"}}))


def test_missing_secret_fails_the_mount_unless_optional() -> None:
    """kubelet keeps a pod in ContainerCreating while its Secret volume's Secret is missing."""
    volume = {"name": "creds", "secret": {"secretName": "absent"}}
    with pytest.raises(volumes.MountError, match="absent"):
        volumes.payload(POD, volume, _sources({}))
    volume["secret"]["optional"] = True
    assert volumes.payload(POD, volume, _sources({})) == {}


def test_projected_service_account_volume() -> None:
    """The admission-injected kube-api-access volume gets a bound token, ca.crt and namespace."""
    issued: list[str] = []
    volume = {
        "name": "kube-api-access-x",
        "projected": {
            "defaultMode": 0o644,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        },
    }
    files = volumes.payload(POD, volume, _sources({}, issued))
    assert files["token"].data == b"token-1"
    assert files["ca.crt"].data == b"CA"
    assert files["namespace"].data == b"ns"
    assert issued == ["ns/sa/3607"]

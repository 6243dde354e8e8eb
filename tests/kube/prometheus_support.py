"""A real Prometheus server for the kube tests: Debian's `prometheus` package, unpacked.

The binary comes from the Debian archive with `apt-get download` (one .deb) and is
unpacked with `dpkg-deb -x` into the tool cache, so nothing is installed system-wide,
no service is started, and a second run starts at once. A cold fetch downloads ~19 MB
in seconds; building cmd/prometheus from the Go module proxy beside hack/promtool did not
finish in 15 minutes on a loaded two-CPU machine (see the notify note).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

PACKAGE = "prometheus"
VERSION = "2.42.0+ds-5+deb12u1"


def _cache() -> Path:
    configured = os.environ.get("ALCHEMISER_CACHE")
    if configured:
        return Path(configured).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "alchemiser"


def _download(directory: Path) -> Path:
    command = ["apt-get", "download", f"{PACKAGE}={VERSION}"]
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=True)
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"apt-get download {PACKAGE}={VERSION} failed: {done.stderr}")
    (deb,) = directory.glob(f"{PACKAGE}_*.deb")
    return deb


def binary() -> Path:
    """Path of the cached `prometheus` binary, fetched and unpacked on first use."""
    target = _cache() / "bin" / f"prometheus-{VERSION.replace('+', '-')}"
    path = target / "prometheus"
    if path.is_file():
        return path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".prometheus.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return path
        with tempfile.TemporaryDirectory() as work:
            deb = _download(Path(work))
            unpacked = Path(work) / "root"
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            target.mkdir(exist_ok=True)
            partial = target / f"prometheus.partial-{os.getpid()}"
            shutil.copy2(unpacked / "usr" / "bin" / "prometheus", partial)
            partial.rename(path)
    return path


class Prometheus:
    """A Prometheus process scraping `targets` every second and evaluating `rules`."""

    def __init__(
        self, directory: Path, port: int, job: str, targets: list[str], rules: list[dict[str, Any]]
    ) -> None:
        self.port = port
        self.directory = directory
        (directory / "rules.yaml").write_text(yaml.safe_dump({"groups": rules}, sort_keys=False))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(directory / "rules.yaml")],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = directory / "prometheus.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                str(binary()),
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def ready(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            url = f"http://127.0.0.1:{self.port}/-/ready"
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector (or scalar) now."""
        data = self.api("query", query=expr, time=str(time.time()))
        result = data["result"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return list(result)

    def firing(self, alert: str) -> list[dict[str, str]]:
        """Label sets of the alert's firing instances."""
        return [
            dict(item["labels"])
            for item in self.api("alerts")["alerts"]
            if item["labels"].get("alertname") == alert and item["state"] == "firing"
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

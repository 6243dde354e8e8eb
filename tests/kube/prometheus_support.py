"""A real Prometheus server for the kube tests: Debian's `prometheus` package, unpacked.

The binary is hack/toolchain.py's `prometheus` entry: one .deb from the Debian archive
(`apt-get download`), unpacked with `dpkg-deb -x` into the tool cache, so nothing is
installed system-wide, no service is started, and a second run starts at once. The
same package gives the chart tests their promtool. A cold fetch downloads ~19 MB in
seconds; building cmd/prometheus from the Go module proxy did not finish in 15 minutes
on a loaded two-CPU machine (see the notify note).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

import toolchain_support


def binary() -> Path:
    """Path of the cached `prometheus` binary, fetched and unpacked on first use."""
    return toolchain_support.binary("prometheus")


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

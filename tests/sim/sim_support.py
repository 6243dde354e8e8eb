"""Shared helpers for the paper exchange's tests: fixed instants and a live CLI process."""

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import requests

# 10:00 New York on the day after Thanksgiving 2026, an early-close session.
OPEN_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
# 14:00 New York the same day: after the 13:00 early close.
AFTER_EARLY_CLOSE = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
# Noon New York on Thanksgiving 2026: the exchange is closed all day.
THANKSGIVING_NOON = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)

KEY_ID = "cli-key-id"
SECRET_KEY = "cli-secret-key"


class SimProcess:
    """`alchemiser sim` running as a real subprocess on a free port."""

    def __init__(self, log: Path, *args: str) -> None:
        self._log: IO[bytes] = log.open("ab")
        command = [sys.executable, "-m", "alchemiser.cli", "sim", "--port", "0"]
        command += ["--key-id", KEY_ID, "--secret-key", SECRET_KEY, *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            raise AssertionError(f"alchemiser sim exited early; see {log}")
        ready: dict[str, Any] = json.loads(line)
        self.base_url: str = ready["url"]

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call an /admin endpoint (POST when a body is given) and return its JSON."""
        url = f"{self.base_url}/admin/{path}"
        response = requests.post(url, json=body, timeout=10) if body is not None else None
        if response is None:
            response = requests.get(url, timeout=10)
        response.raise_for_status()
        return response.json()

    def headers(self) -> dict[str, str]:
        """Alpaca auth headers for the process's keys."""
        return {"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET_KEY}

    def stop(self) -> int:
        """SIGTERM, wait, and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(20)
        self._log.close()
        return self.process.returncode

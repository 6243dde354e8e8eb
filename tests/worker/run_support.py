"""Helpers for the worker's tests against the embedded paper exchange (not fixtures)."""

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alchemiser.api import TradingStrategySpec
from alchemiser.api.halt_matching import StrategyScope
from alchemiser.sim.embedded import EmbeddedExchange
from alchemiser.worker import halts, pipeline
from alchemiser.worker.broker.alpaca import AlpacaBroker
from alchemiser.worker.config import RunConfig
from alchemiser.worker.credentials import Credentials
from alchemiser.worker.portfolio import combine
from alchemiser.worker.strategies import REGISTRY

# 10:00 New York on the early-close day: the market is open.
OPEN_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
UID = "0b6f3b3e-6a5e-4c1e-9d6f-2f1f2d9d7c11"


class Keys:
    """A credential source holding the key pair in memory (tests only)."""

    def __init__(self, key_id: str, secret_key: str) -> None:
        self.credentials = Credentials(key_id, secret_key)

    def read(self) -> Credentials:
        """Return the key pair."""
        return self.credentials


class Halts:
    """A halt source a test can change mid-run; `fail=True` makes it unreadable."""

    def __init__(self) -> None:
        self.halts: list[halts.Halt] = []
        self.fail = False
        self.reads = 0

    def list(self) -> Sequence[halts.Halt]:
        """Return the current halts or raise HaltStateUnknown."""
        self.reads += 1
        if self.fail:
            raise halts.HaltStateUnknown("injected: halts unreadable")
        return list(self.halts)


def spec(
    weights: Mapping[str, float], mode: str = "paper", order_type: str = "market", **risk: Any
) -> TradingStrategySpec:
    """A static-strategy spec with the given weights, order type and risk overrides."""
    limits = {"maxOrderNotional": 60_000, "maxPositionFraction": 0.6, **risk}
    return TradingStrategySpec.model_validate(
        {
            "schedule": "45 15 * * 1-5",
            "mode": mode,
            "allocations": [
                {"strategy": "static", "weight": 1, "parameters": {"weights": dict(weights)}}
            ],
            "broker": {"credentialsSecret": "alpaca-paper"},
            "risk": limits,
            "execution": {"orderType": order_type},
        }
    )


def config(strategy: TradingStrategySpec, run_id: str = "run-1") -> RunConfig:
    """A run configuration for namespace `team-a`, labelled tier=prod."""
    return RunConfig(
        spec=strategy,
        namespace="team-a",
        name="static-demo",
        uid=UID,
        run_id=run_id,
        labels={"tier": "prod"},
    )


def broker(exchange: EmbeddedExchange, source: Any = None, **options: Any) -> AlpacaBroker:
    """An AlpacaBroker (alpaca-py, real HTTP) against the embedded exchange."""
    keys = source or Keys(exchange.key_id, exchange.secret_key)
    return AlpacaBroker(keys, base_url=exchange.base_url, **options)


def deps(
    adapter: Any, source: Any = None, stop: threading.Event | None = None, **options: Any
) -> pipeline.Deps:
    """Pipeline collaborators with an injectable halt source."""
    guard = halts.HaltGuard(
        source or Halts(), StrategyScope(namespace="team-a", labels={"tier": "prod"})
    )
    return pipeline.Deps(
        market=adapter,
        execution=adapter,
        halts=guard,
        strategies=REGISTRY,
        combine=combine,
        stop=stop or threading.Event(),
        fill_timeout=options.pop("fill_timeout", 10.0),
        **options,
    )


def orders_by_client_id(exchange: EmbeddedExchange) -> dict[str, list[dict[str, Any]]]:
    """Every order the exchange holds, grouped by client order id."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for order in exchange.orders():
        grouped.setdefault(order["client_order_id"], []).append(order)
    return grouped


def write_credentials(directory: Path, key_id: str, secret_key: str) -> None:
    """Write the two credential files into a plain directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "APCA_API_KEY_ID").write_text(key_id)
    (directory / "APCA_API_SECRET_KEY").write_text(secret_key)


class AfterSubmit:
    """Wraps a broker and calls `hook(n)` after its n-th successful submit."""

    def __init__(self, inner: Any, hook: Any) -> None:
        self._inner = inner
        self._hook = hook
        self._lock = threading.Lock()
        self.submits = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def submit(self, order: Any) -> Any:
        """Submit through the wrapped broker, then run the hook."""
        placed = self._inner.submit(order)
        with self._lock:
            self.submits += 1
            count = self.submits
        self._hook(count)
        return placed


def kubelet_secret_dir(root: Path, key_id: str, secret_key: str) -> Path:
    """Lay out a Secret volume as kubelet does: files -> ..data/ -> ..<timestamp>/."""
    root.mkdir(parents=True, exist_ok=True)
    _kubelet_version(root, "..2026_11_27_10_00_00.000000001", key_id, secret_key)
    (root / "..data").symlink_to("..2026_11_27_10_00_00.000000001")
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"):
        (root / name).symlink_to(f"..data/{name}")
    return root


def kubelet_rotate(root: Path, key_id: str, secret_key: str) -> None:
    """Rotate like kubelet: new timestamped dir, then an atomic rename over ..data."""
    old = (root / "..data").readlink()
    new = "..2026_11_27_10_05_00.000000002"
    _kubelet_version(root, new, key_id, secret_key)
    (root / "..data_tmp").symlink_to(new)
    (root / "..data_tmp").rename(root / "..data")
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"):
        (root / old / name).unlink()
    (root / old).rmdir()


def _kubelet_version(root: Path, name: str, key_id: str, secret_key: str) -> None:
    version = root / name
    version.mkdir()
    (version / "APCA_API_KEY_ID").write_text(key_id)
    (version / "APCA_API_SECRET_KEY").write_text(secret_key)

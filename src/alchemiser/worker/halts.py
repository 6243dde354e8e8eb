"""Halt checks: which TradingHalts apply to this strategy right now.

Rule: the only worker module that imports kubernetes. Which halts apply is decided
by the rule the operator uses too (alchemiser.api.halt_matching: a halt applies while
it exists, even while being deleted, until it expires); reading halts goes through
the small `HaltSource` protocol so tests can inject one. Any failure to read the halt
state raises HaltStateUnknown, and callers treat that as halted. When no cluster is
configured there is nothing to read (`NoCluster`); whether that is acceptable is the
caller's decision (`--no-halt-check`, `--broker sim`).
"""

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import kubernetes
import urllib3
from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from alchemiser.api import TradingHaltSpec, halt_matching
from alchemiser.api.halt_matching import HaltMatch, StrategyScope
from alchemiser.api.runtime import GROUP, HALT_PLURAL, VERSION
from alchemiser.errors import HaltStateUnknown

IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
LIST_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Halt:
    """One TradingHalt: its name and spec."""

    name: str
    spec: TradingHaltSpec


class HaltSource(Protocol):
    """Reads every TradingHalt; raises HaltStateUnknown when it cannot."""

    def list(self) -> Sequence[Halt]:
        """Return every TradingHalt in the cluster."""
        ...


def verdict(halts: Sequence[Halt], strategy: StrategyScope, now: datetime) -> HaltMatch:
    """Which of `halts` apply to `strategy` at `now`: the shared rule (api.halt_matching)."""
    return halt_matching.match(
        (halt_matching.rule_from_spec(h.name, h.spec) for h in halts), strategy, now
    )


def utc_now() -> datetime:
    """The wall clock in UTC: HaltGuard's default clock."""
    return datetime.now(UTC)


class HaltGuard:
    """Answers "which halts apply to this strategy now?" from a source, failing closed.

    `clock` says what "now" is (expiry is judged by it); tests pass a fixed one.
    """

    def __init__(
        self,
        source: HaltSource,
        strategy: StrategyScope,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._source = source
        self._strategy = strategy
        self._clock = clock

    def check(self) -> HaltMatch:
        """Read the halts now; raises HaltStateUnknown when they cannot be read."""
        return verdict(self._source.list(), self._strategy, self._clock())


class NoCluster:
    """The halt source when no cluster is configured: there are no halts to read."""

    def list(self) -> Sequence[Halt]:
        """Return no halts."""
        return ()


def cluster_configured(environ: Mapping[str, str] | None = None) -> bool:
    """True in a pod (service account and API host) or when KUBECONFIG is set."""
    env = os.environ if environ is None else environ
    in_cluster = bool(env.get("KUBERNETES_SERVICE_HOST")) and IN_CLUSTER_TOKEN.exists()
    return in_cluster or bool(env.get("KUBECONFIG"))


class KubeHaltSource:
    """Lists TradingHalts from the cluster this process is configured for."""

    def __init__(self, environ: Mapping[str, str] | None = None, attempts: int = 3) -> None:
        env = os.environ if environ is None else environ
        self._attempts = attempts
        try:
            if env.get("KUBERNETES_SERVICE_HOST") and IN_CLUSTER_TOKEN.exists():
                configuration = kubernetes.client.Configuration()
                kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                    client_configuration=configuration
                )
            else:
                configuration = kubernetes.client.Configuration()
                kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=env.get("KUBECONFIG"), client_configuration=configuration
                )
        except (kubernetes.config.ConfigException, OSError, ValueError) as error:
            raise HaltStateUnknown(f"cannot load the cluster configuration: {error}") from None
        self._api = kubernetes.client.CustomObjectsApi(kubernetes.client.ApiClient(configuration))

    def list(self) -> Sequence[Halt]:
        """Return every TradingHalt; raises HaltStateUnknown on any failure."""
        retrying = Retrying(
            retry=retry_if_exception_type(HaltStateUnknown),
            stop=stop_after_attempt(self._attempts),
            wait=wait_fixed(0.2),
            reraise=True,
        )
        return retrying(self._list_once)

    def _list_once(self) -> Sequence[Halt]:
        try:
            body: Any = self._api.list_cluster_custom_object(
                GROUP, VERSION, HALT_PLURAL, _request_timeout=LIST_TIMEOUT_SECONDS
            )
        except kubernetes.client.ApiException as error:
            raise HaltStateUnknown(f"listing TradingHalts failed: HTTP {error.status}") from None
        except (
            OSError,
            urllib3.exceptions.HTTPError,
            kubernetes.client.exceptions.OpenApiException,
        ) as error:
            raise HaltStateUnknown(
                f"listing TradingHalts failed: {type(error).__name__}: {error}"
            ) from None
        return [parse_halt(item) for item in body.get("items", [])]


def parse_halt(item: Mapping[str, Any]) -> Halt:
    """One listed TradingHalt; HaltStateUnknown when its spec does not validate."""
    name = str(item.get("metadata", {}).get("name", "?"))
    try:
        return Halt(name=name, spec=TradingHaltSpec.model_validate(item.get("spec", {})))
    except ValidationError as error:
        raise HaltStateUnknown(f"TradingHalt {name} cannot be read: {error}") from None

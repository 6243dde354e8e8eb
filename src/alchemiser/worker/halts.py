"""Halt checks: which TradingHalts apply to this strategy right now.

Rule: the only worker module that talks to the apiserver. Which halts apply is decided
by the rule the operator uses too (alchemiser.api.halt_matching: a halt applies while
it exists, even while being deleted, until it expires); reading halts goes through
the small `HaltSource` protocol so tests can inject one. Any failure to read the halt
state raises HaltStateUnknown, and callers treat that as halted. When no cluster is
configured there is nothing to read (`NoCluster`); whether that is acceptable is the
caller's decision (`--no-halt-check`, `--broker sim`).

The list is one HTTPS GET with urllib3. In a pod the service account's token and CA
are read directly (the kubernetes client package costs a pod's start about 0.3 s of
CPU to import); only a KUBECONFIG, outside a pod, is resolved by the kubernetes
client's own loader (exec plugins, embedded certificates), imported then.
"""

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import urllib3
from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from alchemiser.api import TradingHaltSpec, halt_matching, problems
from alchemiser.api.halt_matching import HaltMatch, StrategyScope
from alchemiser.api.runtime import GROUP, HALT_PLURAL, VERSION
from alchemiser.errors import HaltStateUnknown

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
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
    return _in_pod(env) or bool(env.get("KUBECONFIG"))


def _in_pod(env: Mapping[str, str]) -> bool:
    return bool(env.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT / "token").exists()


@dataclass(frozen=True)
class ClusterAccess:
    """Where the apiserver is and how this process proves who it is.

    `token_file` is read for every request (kubelet rotates a projected token);
    `token` is a fixed bearer token; `client_cert` a (certificate, key) file pair.
    Never logged: the token is only ever put in a request's header.
    """

    server: str
    ca_file: str | None = None
    verify: bool = True
    token_file: Path | None = None
    token: str | None = None
    client_cert: tuple[str, str] | None = None
    server_name: str | None = None  # the name the certificate is checked against, if not the host

    def headers(self) -> dict[str, str]:
        """The request's Authorization header, if this access uses a token."""
        token = self.token_file.read_text().strip() if self.token_file else self.token
        return {"Authorization": f"Bearer {token}"} if token else {}


def in_cluster_access(environ: Mapping[str, str]) -> ClusterAccess:
    """The pod's own service account: the API Service's address, the mounted token and CA."""
    host = environ["KUBERNETES_SERVICE_HOST"]
    port = environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return ClusterAccess(
        server=f"https://{host}:{port}",
        ca_file=str(SERVICE_ACCOUNT / "ca.crt"),
        token_file=SERVICE_ACCOUNT / "token",
    )


def kubeconfig_access(path: str | None) -> ClusterAccess:
    """The current context of a kubeconfig, resolved by the kubernetes client's loader."""
    import kubernetes  # noqa: PLC0415 - outside a pod only: see the module docstring

    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, client_configuration=configuration
        )
    except (kubernetes.config.ConfigException, OSError, ValueError) as error:
        raise HaltStateUnknown(f"cannot load the cluster configuration: {error}") from None
    bearer: Mapping[str, Any] = configuration.auth_settings().get("BearerToken") or {}
    authorization = str(bearer.get("value") or "")
    cert, key = configuration.cert_file, configuration.key_file
    return ClusterAccess(
        server=str(configuration.host),
        ca_file=configuration.ssl_ca_cert,
        verify=bool(configuration.verify_ssl),
        token=authorization.removeprefix("Bearer ").strip() or None,
        client_cert=(cert, key) if cert and key else None,
        server_name=configuration.tls_server_name,
    )


class KubeHaltSource:
    """Lists TradingHalts from the cluster this process is configured for."""

    def __init__(self, environ: Mapping[str, str] | None = None, attempts: int = 3) -> None:
        env = os.environ if environ is None else environ
        self._attempts = attempts
        self._access = (
            in_cluster_access(env) if _in_pod(env) else kubeconfig_access(env.get("KUBECONFIG"))
        )
        access = self._access
        cert_file, key_file = access.client_cert or (None, None)
        self._pool = urllib3.PoolManager(
            num_pools=1,
            cert_reqs="CERT_REQUIRED" if access.verify else "CERT_NONE",
            ca_certs=access.ca_file,
            cert_file=cert_file,
            key_file=key_file,
            server_hostname=access.server_name,
        )

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
        url = f"{self._access.server.rstrip('/')}/apis/{GROUP}/{VERSION}/{HALT_PLURAL}"
        try:
            response = self._pool.request(
                "GET",
                url,
                headers={"Accept": "application/json", **self._access.headers()},
                timeout=urllib3.Timeout(connect=LIST_TIMEOUT_SECONDS, read=LIST_TIMEOUT_SECONDS),
                retries=False,
                redirect=False,
            )
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise HaltStateUnknown(
                f"listing TradingHalts failed: {type(error).__name__}: {error}"
            ) from None
        if response.status != 200:
            raise HaltStateUnknown(f"listing TradingHalts failed: HTTP {response.status}")
        try:
            body: Any = response.json()
            items = body.get("items") or []
        except (ValueError, AttributeError):
            raise HaltStateUnknown(
                "listing TradingHalts failed: the answer is not a list"
            ) from None
        return [parse_halt(item) for item in items]


def parse_halt(item: Mapping[str, Any]) -> Halt:
    """One listed TradingHalt; HaltStateUnknown when its spec does not validate."""
    name = str(item.get("metadata", {}).get("name", "?"))
    try:
        return Halt(name=name, spec=TradingHaltSpec.model_validate(item.get("spec", {})))
    except ValidationError as error:
        raise HaltStateUnknown(
            f"TradingHalt {name} cannot be read: {problems.summary(error, 'spec')}"
        ) from None

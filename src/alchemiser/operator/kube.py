"""Kubernetes API I/O for the operator and the `halt`/`resume` commands.

Rule: the only operator module that talks to the Kubernetes API (kopf's own
watching, event posting and peering aside, which kopf does itself). Every call
has a timeout; aiohttp and HTTP errors are translated into KubeError. Secret
values never leave `secret_keys`: only the key names do.

The RBAC verbs this code and kopf need, per resource, are listed in RBAC.md next
to this module (the chart's ClusterRoles follow it).
"""

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import kubernetes.client
import kubernetes.config
from kubernetes.config.config_exception import ConfigException

from alchemiser.api import runtime
from alchemiser.errors import KubeError

# Network timeouts only: waiting for a free pooled connection under load is not an error.
TIMEOUT: Final = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)
APPLY: Final = "application/apply-patch+yaml"  # JSON is YAML
MERGE: Final = "application/merge-patch+json"
STRATEGIES: Final = f"/apis/{runtime.GROUP}/{runtime.VERSION}"
PAGE: Final = 250  # objects per LIST page: bounds the memory a resync sweep holds at once


class Conflict(KubeError):
    """Raised when a write was refused because the object changed meanwhile (HTTP 409)."""


@dataclass(frozen=True)
class Reply:
    """An API answer: HTTP status and the decoded JSON body."""

    status: int
    body: dict[str, Any]


class Kube:
    """A small async Kubernetes client on aiohttp, built from kubeconfig or in-cluster config."""

    def __init__(self, configuration: Any, *, connections: int = 32) -> None:
        self._config = configuration
        self._server = str(configuration.host).rstrip("/")
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
        if configuration.cert_file:
            context.load_cert_chain(configuration.cert_file, configuration.key_file)
        if not configuration.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self._ssl = context
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None, *, connections: int = 32) -> "Kube":
        """Load in-cluster config, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
        configuration = kubernetes.client.Configuration()
        try:
            if kubeconfig is not None:
                raise ConfigException("explicit kubeconfig given")
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except ConfigException:
            try:
                kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=kubeconfig, client_configuration=configuration
                )
            except (ConfigException, OSError) as error:
                raise KubeError(f"no usable Kubernetes configuration: {error}") from error
        return cls(configuration, connections=connections)

    def _headers(self, content_type: str | None, accept: str) -> dict[str, str]:
        hook = getattr(self._config, "refresh_api_key_hook", None)
        if hook is not None:
            hook(self._config)  # re-reads a rotated in-cluster token
        headers = {"Accept": accept}
        # kubernetes>=36 files bearer tokens (kubeconfig and in-cluster) under
        # "BearerToken"; auth_settings() names the header whatever the key.
        for setting in self._config.auth_settings().values():
            if setting["in"] == "header" and setting["value"]:
                headers[setting["key"].title()] = setting["value"]
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    async def __aenter__(self) -> "Kube":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, timeout=TIMEOUT)
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str | None = None,
        missing_ok: bool = False,
        accept: str = "application/json",
    ) -> Reply | None:
        """One API call; None for 404 when `missing_ok`; raises Conflict (409) or KubeError."""
        data = None if body is None else json.dumps(body)
        if data is not None and content_type is None:
            content_type = "application/json"
        try:
            async with self._client().request(
                method,
                self._server + path,
                data=data,
                params=params,
                headers=self._headers(content_type, accept),
            ) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise KubeError(f"{method} {path} failed: {error!r}") from error
        if response.status == 404 and missing_ok:
            return None
        if response.status == 409:
            raise Conflict(f"{method} {path}: conflict: {_message(text)}")
        if response.status >= 400:
            raise KubeError(f"{method} {path}: HTTP {response.status}: {_message(text)}")
        return Reply(response.status, json.loads(text) if text else {})

    async def watch(
        self, path: str, params: Mapping[str, str], *, accept: str = "application/json"
    ) -> AsyncIterator[dict[str, Any]]:
        """The events of one watch request (params should set watch and timeoutSeconds)."""
        try:
            async with self._client().get(
                self._server + path, params=params, headers=self._headers(None, accept)
            ) as response:
                if response.status >= 400:
                    text = await response.text()
                    raise KubeError(f"WATCH {path}: HTTP {response.status}: {_message(text)}")
                async for line in response.content:
                    if line.strip():
                        yield json.loads(line)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise KubeError(f"WATCH {path} failed: {error!r}") from error

    async def _body(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        reply = await self.request(method, path, **kwargs)
        return reply.body if reply is not None else {}

    # --- strategies and halts -------------------------------------------------------------

    async def get_strategy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The TradingStrategy, or None when it is gone."""
        reply = await self.request("GET", _strategy_path(namespace, name), missing_ok=True)
        return reply.body if reply is not None else None

    async def patch_strategy_status(
        self, namespace: str, name: str, status: Mapping[str, Any], resource_version: str | None
    ) -> dict[str, Any] | None:
        """Replace the status (merge patch), guarded by resourceVersion when given."""
        patch: dict[str, Any] = {"status": dict(status)}
        if resource_version is not None:
            patch["metadata"] = {"resourceVersion": resource_version}
        reply = await self.request(
            "PATCH",
            _strategy_path(namespace, name) + "/status",
            body=patch,
            content_type=MERGE,
            missing_ok=True,
        )
        return reply.body if reply is not None else None

    async def get_backtest(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The TradingBacktest, or None when it is gone."""
        reply = await self.request("GET", _backtest_path(namespace, name), missing_ok=True)
        return reply.body if reply is not None else None

    async def patch_backtest_status(
        self, namespace: str, name: str, status: Mapping[str, Any]
    ) -> None:
        """Merge-patch a TradingBacktest's status; one deleted meanwhile is fine."""
        await self.request(
            "PATCH",
            _backtest_path(namespace, name) + "/status",
            body={"status": dict(status)},
            content_type=MERGE,
            missing_ok=True,
        )

    async def get_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The Job, or None when it is gone."""
        reply = await self.request("GET", _batch_path("Job", namespace, name), missing_ok=True)
        return reply.body if reply is not None else None

    async def patch_halt_status(self, name: str, status: Mapping[str, Any]) -> None:
        """Merge-patch a TradingHalt's status; a halt deleted meanwhile is fine."""
        await self.request(
            "PATCH",
            f"{STRATEGIES}/{runtime.HALT_PLURAL}/{quote(name)}/status",
            body={"status": dict(status)},
            content_type=MERGE,
            missing_ok=True,
        )

    async def create_halt(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a TradingHalt."""
        return await self._body("POST", f"{STRATEGIES}/{runtime.HALT_PLURAL}", body=dict(body))

    async def create_halt_if_absent(self, body: Mapping[str, Any]) -> bool:
        """Create a TradingHalt; False when one of that name exists already."""
        try:
            await self.create_halt(body)
        except Conflict:
            return False
        return True

    async def patch_halt_spec(self, name: str, spec: Mapping[str, Any]) -> None:
        """Merge-patch a TradingHalt's spec (a breaker renewing its expired halt)."""
        await self.request(
            "PATCH",
            f"{STRATEGIES}/{runtime.HALT_PLURAL}/{quote(name)}",
            body={"spec": dict(spec)},
            content_type=MERGE,
        )

    async def halts_labelled(self, selector: str) -> list[str]:
        """Names of the TradingHalts matching a label selector (a strategy's breaker halts)."""
        body = await self._body(
            "GET", f"{STRATEGIES}/{runtime.HALT_PLURAL}", params={"labelSelector": selector}
        )
        return [str(item["metadata"]["name"]) for item in body.get("items") or ()]

    async def delete_halt(self, name: str) -> bool:
        """Delete a TradingHalt; False when it did not exist."""
        path = f"{STRATEGIES}/{runtime.HALT_PLURAL}/{quote(name)}"
        return await self.request("DELETE", path, missing_ok=True) is not None

    async def get_halt(self, name: str) -> dict[str, Any] | None:
        """A TradingHalt, or None when it is gone."""
        path = f"{STRATEGIES}/{runtime.HALT_PLURAL}/{quote(name)}"
        reply = await self.request("GET", path, missing_ok=True)
        return reply.body if reply is not None else None

    async def list_halts(self) -> list[dict[str, Any]]:
        """Every TradingHalt."""
        body = await self._body("GET", f"{STRATEGIES}/{runtime.HALT_PLURAL}")
        return list(body.get("items") or [])

    # --- CronJobs and Jobs ----------------------------------------------------------------

    async def apply(self, manifest: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Server-side apply under our field manager, forcing; returns (object, created)."""
        metadata = manifest["metadata"]
        if manifest["kind"] == "ConfigMap":
            path = _configmap_path(metadata["namespace"], metadata["name"])
        else:
            path = _batch_path(manifest["kind"], metadata["namespace"], metadata["name"])
        reply = await self.request(
            "PATCH",
            path,
            body=dict(manifest),
            params={"fieldManager": runtime.FIELD_MANAGER, "force": "true"},
            content_type=APPLY,
        )
        assert reply is not None
        return reply.body, reply.status == 201

    async def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The CronJob, or None."""
        reply = await self.request("GET", _batch_path("CronJob", namespace, name), missing_ok=True)
        return reply.body if reply is not None else None

    async def cronjob_pages(self, namespace: str | None) -> AsyncIterator[list[dict[str, Any]]]:
        """Our CronJobs (those with the strategy label), one LIST page at a time."""
        where = f"/namespaces/{quote(namespace)}" if namespace else ""
        params = {"labelSelector": runtime.LABEL_STRATEGY, "limit": str(PAGE)}
        while True:
            body = await self._body("GET", f"/apis/batch/v1{where}/cronjobs", params=params)
            yield list(body.get("items") or [])
            token = (body.get("metadata") or {}).get("continue")
            if not token:
                return
            params = {**params, "continue": token}

    async def peering_peers(self, name: str, namespace: str | None) -> dict[str, Any] | None:
        """kopf's peering object's status (peer -> info); None when the object is absent."""
        if namespace:
            path = f"/apis/kopf.dev/v1/namespaces/{quote(namespace)}/kopfpeerings"
        else:
            path = "/apis/kopf.dev/v1/clusterkopfpeerings"
        # LIST by name, the verb kopf's own peering already needs (no extra `get`).
        params = {"fieldSelector": f"metadata.name={name}"}
        reply = await self.request("GET", path, params=params, missing_ok=True)
        items = list((reply.body if reply is not None else {}).get("items") or [])
        return dict(items[0].get("status") or {}) if items else None

    async def post_event(self, event: Mapping[str, Any]) -> None:
        """Create one core/v1 Event (in its metadata.namespace)."""
        namespace = quote(event["metadata"]["namespace"])
        await self.request("POST", f"/api/v1/namespaces/{namespace}/events", body=dict(event))

    async def suspend_cronjob(self, namespace: str, name: str, suspend: bool = True) -> None:
        """Set spec.suspend with one merge patch (halt propagation); a missing CronJob is fine."""
        await self.request(
            "PATCH",
            _batch_path("CronJob", namespace, name),
            body={"spec": {"suspend": suspend}},
            params={"fieldManager": runtime.FIELD_MANAGER},
            content_type=MERGE,
            missing_ok=True,
        )

    async def create_job(self, manifest: Mapping[str, Any]) -> bool:
        """Create a Job; False when one with that name already exists."""
        namespace = manifest["metadata"]["namespace"]
        try:
            await self.request(
                "POST",
                f"/apis/batch/v1/namespaces/{quote(namespace)}/jobs",
                body=dict(manifest),
                params={"fieldManager": runtime.FIELD_MANAGER},
            )
        except Conflict:
            return False
        return True

    async def delete_job(self, namespace: str, name: str) -> bool:
        """Delete a Job with background propagation; False when already gone."""
        reply = await self.request(
            "DELETE",
            _batch_path("Job", namespace, name),
            body={"propagationPolicy": "Background"},
            missing_ok=True,
        )
        return reply is not None

    async def annotate_job(self, namespace: str, name: str, annotations: Mapping[str, str]) -> None:
        """Merge annotations into a Job (the run-result marker)."""
        await self.request(
            "PATCH",
            _batch_path("Job", namespace, name),
            body={"metadata": {"annotations": dict(annotations)}},
            params={"fieldManager": runtime.FIELD_MANAGER},
            content_type=MERGE,
            missing_ok=True,
        )

    async def job_pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        """The pods of one Job (by the job-name label the Job controller sets)."""
        body = await self._body(
            "GET",
            f"/api/v1/namespaces/{quote(namespace)}/pods",
            params={"labelSelector": f"{runtime.LABEL_JOB_NAME}={job}"},
        )
        return list(body.get("items") or [])

    # --- Secrets --------------------------------------------------------------------------

    async def get_configmap(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A ConfigMap (a symphony's text), or None when it does not exist."""
        reply = await self.request("GET", _configmap_path(namespace, name), missing_ok=True)
        return None if reply is None else reply.body

    async def secret_keys(self, namespace: str, name: str) -> frozenset[str] | None:
        """The key names of a Secret (never the values), or None when it does not exist."""
        reply = await self.request(
            "GET", f"/api/v1/namespaces/{quote(namespace)}/secrets/{quote(name)}", missing_ok=True
        )
        if reply is None:
            return None
        keys = set((reply.body.get("data") or {}).keys())
        keys |= set((reply.body.get("stringData") or {}).keys())
        return frozenset(keys)


def _strategy_path(namespace: str, name: str) -> str:
    return f"{STRATEGIES}/namespaces/{quote(namespace)}/{runtime.STRATEGY_PLURAL}/{quote(name)}"


def _backtest_path(namespace: str, name: str) -> str:
    return f"{STRATEGIES}/namespaces/{quote(namespace)}/{runtime.BACKTEST_PLURAL}/{quote(name)}"


def _batch_path(kind: str, namespace: str, name: str) -> str:
    plural = {"CronJob": "cronjobs", "Job": "jobs"}[kind]
    return f"/apis/batch/v1/namespaces/{quote(namespace)}/{plural}/{quote(name)}"


def _configmap_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace)}/configmaps/{quote(name)}"


def _message(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))[:500]
    except (json.JSONDecodeError, AttributeError):
        return text[:500]


async def gather_bounded(limit: int, calls: list[Any]) -> list[Any]:
    """Await coroutines concurrently, at most `limit` at a time; exceptions are returned."""
    semaphore = asyncio.Semaphore(limit)

    async def one(call: Any) -> Any:
        async with semaphore:
            return await call

    return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)

"""The runner's only door to the API server: plain dicts over the kubernetes client's transport.

The kubernetes package loads the kubeconfig (TLS, client certificates,
tokens) and owns the connection pool; requests and watches go through it as
JSON, so the rest of the runner handles objects exactly as the API sends them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlparse

import urllib3
from kubernetes import client, config

Obj = dict[str, Any]


class ApiError(Exception):
    """An API call answered with an error status."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class Kube:
    """A minimal JSON client for the calls kubelet makes."""

    def __init__(self, kubeconfig: str) -> None:
        self.configuration = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, client_configuration=self.configuration
        )
        self._api = client.ApiClient(self.configuration)
        self._pool = self._api.rest_client.pool_manager

    @property
    def server(self) -> tuple[str, int]:
        """Host and port of the API server, for KUBERNETES_SERVICE_HOST/PORT."""
        url = urlparse(self.configuration.host)
        return url.hostname or "127.0.0.1", url.port or 443

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        token = self.configuration.get_api_key_with_prefix("BearerToken") or (
            self.configuration.get_api_key_with_prefix("authorization")
        )
        if token:
            headers["Authorization"] = token
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Obj:
        """Make one API call and return the decoded JSON answer; raise ApiError on failure."""
        url = self.configuration.host + path
        if query:
            url += "?" + urlencode(query)
        try:
            response = self._pool.request(
                method,
                url,
                headers=self._headers(content_type if body is not None else None),
                body=json.dumps(body).encode() if body is not None else None,
                timeout=urllib3.Timeout(total=timeout),
                retries=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise ApiError(0, f"{method} {path}: {error}") from error
        text = response.data.decode("utf-8", "replace")
        if response.status >= 400:
            raise ApiError(response.status, text)
        return json.loads(text) if text else {}

    def get(self, path: str) -> Obj | None:
        """GET an object, or None when it does not exist."""
        try:
            return self.request("GET", path)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def watch(self, path: str, query: dict[str, Any], timeout_seconds: int = 60) -> Iterator[Obj]:
        """Stream watch events (dicts with type and object) until the server ends the watch."""
        url = (
            self.configuration.host
            + path
            + "?"
            + urlencode({**query, "watch": "true", "timeoutSeconds": timeout_seconds})
        )
        try:
            response = self._pool.request(
                "GET",
                url,
                headers=self._headers(None),
                preload_content=False,
                timeout=urllib3.Timeout(connect=10, read=timeout_seconds + 15),
                retries=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise ApiError(0, f"watch {path}: {error}") from error
        try:
            if response.status >= 400:
                raise ApiError(response.status, response.read().decode("utf-8", "replace"))
            buffer = b""
            for chunk in _chunks(response):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        finally:
            response.release_conn()

    def data_of(self, kind: str, namespace: str, name: str) -> dict[str, bytes] | None:
        """The decoded data of a Secret or ConfigMap, or None if it does not exist."""
        plural = "secrets" if kind == "secret" else "configmaps"
        obj = self.get(f"/api/v1/namespaces/{namespace}/{plural}/{name}")
        if obj is None:
            return None
        if kind == "secret":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        binary = {k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()}
        return data | binary

    def token(self, namespace: str, account: str, audience: str, seconds: int, pod: Obj) -> str:
        """A bound service account token for the pod (TokenRequest, as kubelet asks for it)."""
        body: Obj = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "expirationSeconds": seconds,
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            },
        }
        if audience:
            body["spec"]["audiences"] = [audience]
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"
        answer = self.request("POST", path, body=body)
        return str(answer["status"]["token"])


def _chunks(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    try:
        yield from response.stream(4096)
    except urllib3.exceptions.HTTPError as error:
        raise ApiError(0, f"watch stream ended: {error}") from error

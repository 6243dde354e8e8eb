"""The worker's halt source over HTTP: one GET of the TradingHalt list, failing closed.

A real HTTP server in this process plays the apiserver; the source reaches it through a
kubeconfig (the path a process outside a pod takes). The in-pod path against the real
apiserver with a service account token is in tests/kube/test_worker_halts.py.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from alchemiser.errors import HaltStateUnknown
from alchemiser.worker import halts

HALTS_PATH = "/apis/alchemiser.io/v1alpha1/tradinghalts"


class FakeApiserver:
    """What the server answers next, and the requests it saw."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = json.dumps({"items": []}).encode()
        self.seen: list[tuple[str, str]] = []  # (path, Authorization header)


@pytest.fixture
def apiserver() -> Iterator[tuple[FakeApiserver, str]]:
    """A loopback HTTP server answering the TradingHalt list, and its URL."""
    state = FakeApiserver()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("Authorization", "")))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def kubeconfig(tmp_path: Path, server: str, token: str = "halt-reader-token") -> dict[str, str]:
    """A worker environment whose KUBECONFIG points at `server` with a bearer token."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return {"KUBECONFIG": str(path)}


def test_the_list_is_one_get_with_the_kubeconfig_token(
    apiserver: tuple[FakeApiserver, str], tmp_path: Path
) -> None:
    """The source GETs the cluster-wide TradingHalt list with the user's token and parses it."""
    state, url = apiserver
    state.body = json.dumps(
        {"items": [{"metadata": {"name": "stop"}, "spec": {"reason": "r", "mode": "Halt"}}]}
    ).encode()
    listed = halts.KubeHaltSource(kubeconfig(tmp_path, url)).list()
    assert [halt.name for halt in listed] == ["stop"]
    assert state.seen == [(HALTS_PATH, "Bearer halt-reader-token")]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (403, b'{"kind": "Status"}', "HTTP 403"),
        (500, b"oops", "HTTP 500"),
        (200, b"<html>not json</html>", "not a list"),
        (200, b'["a list, not an object"]', "not a list"),
    ],
)
def test_any_answer_but_a_list_is_halt_state_unknown(
    apiserver: tuple[FakeApiserver, str], tmp_path: Path, status: int, body: bytes, reason: str
) -> None:
    """Refused, failing or unparseable answers raise after bounded retries, never "no halts"."""
    state, url = apiserver
    state.status, state.body = status, body
    source = halts.KubeHaltSource(kubeconfig(tmp_path, url), attempts=2)
    with pytest.raises(HaltStateUnknown, match=reason) as raised:
        source.list()
    assert len(state.seen) == 2
    assert "halt-reader-token" not in str(raised.value)


def test_a_kubeconfig_that_cannot_be_loaded_is_halt_state_unknown(tmp_path: Path) -> None:
    """A missing kubeconfig file fails closed when the source is built."""
    with pytest.raises(HaltStateUnknown, match="cannot load the cluster configuration"):
        halts.KubeHaltSource({"KUBECONFIG": str(tmp_path / "absent")})


def test_in_a_pod_the_service_account_token_is_read_for_every_request(tmp_path: Path) -> None:
    """The in-pod access uses the API Service's address and re-reads the rotating token."""
    token = tmp_path / "token"
    token.write_text("first\n")
    access = halts.ClusterAccess(server="https://10.96.0.1:443", token_file=token)
    assert access.headers() == {"Authorization": "Bearer first"}
    token.write_text("rotated")
    assert access.headers() == {"Authorization": "Bearer rotated"}


@pytest.mark.parametrize(
    ("host", "port", "server"),
    [
        ("10.96.0.1", "443", "https://10.96.0.1:443"),
        ("fd00::1", "6443", "https://[fd00::1]:6443"),
    ],
)
def test_the_in_pod_server_is_the_kubernetes_service(host: str, port: str, server: str) -> None:
    """KUBERNETES_SERVICE_HOST/PORT give the server; the CA and token are the mounted ones."""
    access = halts.in_cluster_access(
        {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    )
    assert access.server == server
    assert access.ca_file == str(halts.SERVICE_ACCOUNT / "ca.crt")
    assert access.token_file == halts.SERVICE_ACCOUNT / "token"

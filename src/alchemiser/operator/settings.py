"""The operator's settings: command-line flags with environment-variable fallbacks.

Rule: pure. `from_args` reads the parsed flags and an environment mapping passed
in, so tests never touch `os.environ`; the builders receive the finished value.
"""

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alchemiser import __version__
from alchemiser.errors import ConfigError

DEFAULT_IMAGE = f"ghcr.io/alchemiser/alchemiser:{__version__}"
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True)
class OperatorSettings:
    """Everything the operator is configured with; passed to builders and handlers."""

    image: str = DEFAULT_IMAGE
    image_pull_policy: str = "IfNotPresent"
    worker_service_account: str = "alchemiser-worker"
    backtest_service_account: str = "alchemiser-backtest"  # may write its report ConfigMaps
    allow_live_trading: bool = False
    namespaces: tuple[str, ...] = ()  # empty: every namespace
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    metrics_address: str = "0.0.0.0"  # scraped by Prometheus from other pods
    metrics_port: int = 8000
    probe_port: int = 8080
    peering_name: str = "alchemiser"
    standalone: bool = False
    priority: int | None = None  # None: random per process, so a second replica stays passive
    resync_seconds: float = 45.0
    concurrency: int = 64
    log_format: str = "json"
    log_level: str = "INFO"
    notifications_config: str = ""  # path of the notifications file; empty: no notifications

    @property
    def liveness_endpoint(self) -> str:
        """The URL kopf serves its liveness probe on."""
        return f"http://{self.metrics_address}:{self.probe_port}/healthz"


# dest -> (flag, environment variable, help text); defaults come from OperatorSettings.
_FLAGS: Mapping[str, tuple[str, str, str]] = {
    "image": ("--worker-image", "ALCHEMISER_WORKER_IMAGE", "worker image"),
    "image_pull_policy": (
        "--worker-image-pull-policy",
        "ALCHEMISER_WORKER_IMAGE_PULL_POLICY",
        "worker imagePullPolicy",
    ),
    "worker_service_account": (
        "--worker-service-account",
        "ALCHEMISER_WORKER_SERVICE_ACCOUNT",
        "worker ServiceAccount name",
    ),
    "backtest_service_account": (
        "--backtest-service-account",
        "ALCHEMISER_BACKTEST_SERVICE_ACCOUNT",
        "ServiceAccount of TradingBacktest pods (patches their report ConfigMaps)",
    ),
    "allow_live_trading": (
        "--allow-live-trading",
        "ALCHEMISER_ALLOW_LIVE_TRADING",
        "allow strategies with mode: live",
    ),
    "namespaces": (
        "--namespace",
        "ALCHEMISER_NAMESPACES",
        "namespace to serve (repeatable; env: comma list; default all)",
    ),
    "node_selector": (
        "--worker-node-selector",
        "ALCHEMISER_WORKER_NODE_SELECTOR",
        "extra worker nodeSelector KEY=VALUE (repeatable; env: comma list)",
    ),
    "tolerations": (
        "--worker-toleration",
        "ALCHEMISER_WORKER_TOLERATIONS",
        "extra worker toleration KEY[=VALUE]:EFFECT (repeatable; env: comma list or JSON)",
    ),
    "metrics_address": (
        "--metrics-address",
        "ALCHEMISER_METRICS_ADDRESS",
        "address /metrics and /healthz listen on",
    ),
    "metrics_port": ("--metrics-port", "ALCHEMISER_METRICS_PORT", "port for /metrics"),
    "probe_port": ("--health-port", "ALCHEMISER_HEALTH_PORT", "port for kopf's /healthz probe"),
    "peering_name": (
        "--peering-name",
        "ALCHEMISER_PEERING_NAME",
        "kopf ClusterKopfPeering (or KopfPeering) object name",
    ),
    "standalone": (
        "--standalone",
        "ALCHEMISER_STANDALONE",
        "run without peering (single replica, tests)",
    ),
    "priority": ("--priority", "ALCHEMISER_PRIORITY", "kopf peering priority (default random)"),
    "resync_seconds": (
        "--resync-seconds",
        "ALCHEMISER_RESYNC_SECONDS",
        "resync sweep interval (drift repair, missing Secrets), under 60",
    ),
    "concurrency": (
        "--concurrency",
        "ALCHEMISER_CONCURRENCY",
        "parallel API calls when propagating a halt",
    ),
    "log_format": ("--log-format", "ALCHEMISER_LOG_FORMAT", "json or console"),
    "log_level": ("--log-level", "ALCHEMISER_LOG_LEVEL", "log level"),
    "notifications_config": (
        "--notifications-config",
        "ALCHEMISER_NOTIFICATIONS_CONFIG",
        "notifications file (webhooks; see the chart's notifications values)",
    ),
}

_BOOLS = ("allow_live_trading", "standalone")
_LISTS = ("namespaces", "node_selector", "tolerations")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per setting; unset flags fall back to the environment, then the default."""
    for dest, (flag, env, help_text) in _FLAGS.items():
        text = f"{help_text} [env {env}]"
        if dest in _BOOLS:
            parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, help=text)
        elif dest in _LISTS:
            parser.add_argument(flag, dest=dest, action="append", metavar="VALUE", help=text)
        else:
            parser.add_argument(flag, dest=dest, help=text)
    parser.add_argument(
        "--all-namespaces",
        action="store_true",
        help="serve every namespace (the default when no --namespace is given)",
    )


def from_args(args: argparse.Namespace, env: Mapping[str, str]) -> OperatorSettings:
    """Build settings from parsed flags, falling back to `env`; raises ConfigError if invalid."""
    raw: dict[str, Any] = {}
    if getattr(args, "all_namespaces", False) and getattr(args, "namespaces", None):
        raise ConfigError("--all-namespaces and --namespace exclude each other")
    for dest, (_, variable, _) in _FLAGS.items():
        value = getattr(args, dest, None)
        if value is None and env.get(variable, "") != "":
            value = _from_env(dest, env[variable])
        if value is not None:
            raw[dest] = value
    return _validated(raw)


def _from_env(dest: str, text: str) -> Any:
    if dest in _BOOLS:
        return _parse_bool(dest, text)
    if dest == "tolerations" and text.lstrip().startswith("["):
        return _json_list(dest, text)
    if dest in _LISTS:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _validated(raw: dict[str, Any]) -> OperatorSettings:
    values: dict[str, Any] = dict(raw)
    if "namespaces" in values:
        values["namespaces"] = tuple(values["namespaces"])
    if "node_selector" in values:
        values["node_selector"] = dict(_key_value(item) for item in values["node_selector"])
    if "tolerations" in values:
        values["tolerations"] = tuple(_toleration(item) for item in values["tolerations"])
    for name in ("metrics_port", "probe_port", "concurrency"):
        if name in values:
            values[name] = _positive_int(name, values[name])
    if "priority" in values:
        values["priority"] = _int(values["priority"], "priority")
    if "resync_seconds" in values:
        values["resync_seconds"] = _positive_float("resync_seconds", values["resync_seconds"])
    if values.get("image_pull_policy", "IfNotPresent") not in PULL_POLICIES:
        raise ConfigError(f"image_pull_policy must be one of {', '.join(PULL_POLICIES)}")
    if values.get("resync_seconds", 45.0) >= 60:
        raise ConfigError("resync_seconds must be under 60 so drift is repaired within a minute")
    if values.get("log_format", "json") not in ("json", "console"):
        raise ConfigError("log_format must be json or console")
    if values.get("image", DEFAULT_IMAGE) == "":
        raise ConfigError("image must not be empty")
    return OperatorSettings(**values)


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {text!r}")


def _json_list(name: str, text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{name} is not valid JSON: {error}") from error
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be a JSON list")
    return value


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"node_selector item {item!r} must look like KEY=VALUE")
    return key, value


def _toleration(item: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """Parse `KEY[=VALUE]:EFFECT` (or take a toleration object from JSON as it is)."""
    if not isinstance(item, str):
        return dict(item)
    head, sep, effect = item.rpartition(":")
    if not sep or effect not in TOLERATION_EFFECTS:
        raise ConfigError(
            f"toleration {item!r} must look like KEY[=VALUE]:EFFECT with EFFECT one of "
            + ", ".join(TOLERATION_EFFECTS)
        )
    key, has_value, value = head.partition("=")
    if not key:
        raise ConfigError(f"toleration {item!r} has no key")
    if has_value:
        return {"key": key, "operator": "Equal", "value": value, "effect": effect}
    return {"key": key, "operator": "Exists", "effect": effect}


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{name} must be an integer, not {value!r}") from error


def _positive_int(name: str, value: Any) -> int:
    number = _int(value, name)
    if number <= 0:
        raise ConfigError(f"{name} must be positive")
    return number


def _positive_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{name} must be a number, not {value!r}") from error
    if number <= 0:
        raise ConfigError(f"{name} must be positive")
    return number

"""The run's configuration: the strategy spec and identity, from a manifest or the pod.

Rule: read once at start-up by the entrypoint, then passed in; nothing else in the
worker reads the environment. In a pod the operator renders the spec as JSON in
ALCHEMISER_STRATEGY_SPEC, the identity through downward-API variables, and the
strategy's labels as JSON in ALCHEMISER_STRATEGY_LABELS. Locally, `--manifest`
takes a TradingStrategy YAML/JSON file. Credentials are not configuration: they are
read from files on use (see credentials.py). A symphony allocation's `configMapRef`
is read here, once, from the mounted ConfigMap volume (SYMPHONY_DIR/<name>/<key>),
and compiled with the rest of the parameters.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alchemiser.api import Mode, TradingStrategy, TradingStrategySpec, breakers, problems
from alchemiser.api.parameters import SymphonyParameters, parse_parameters
from alchemiser.api.runtime import (
    ENV_JOB_NAME,
    ENV_SPEC,
    ENV_STRATEGY_LABELS,
    ENV_STRATEGY_NAME,
    ENV_STRATEGY_NAMESPACE,
    ENV_STRATEGY_UID,
    SYMPHONY_DIR,
)
from alchemiser.errors import ConfigError
from alchemiser.symphony import read_source

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs to know before it talks to anyone."""

    spec: TradingStrategySpec
    namespace: str
    name: str
    uid: str
    run_id: str
    labels: Mapping[str, str] | None  # None: unknown, so label-selected halts apply
    # Each allocation's parsed parameters, in order (symphony texts compiled).
    parameters: tuple[BaseModel, ...] = field(default=())

    @property
    def dry_run(self) -> bool:
        """True when the run decides and logs but submits nothing."""
        return self.spec.mode is Mode.DRY_RUN

    @property
    def rebalance_threshold(self) -> float:
        """The spec's risk.rebalanceThreshold when set, else the largest symphony
        :rebalance-threshold, else the spec's default (docs/symphonies.md)."""
        risk = self.spec.risk
        if "rebalance_threshold" in risk.model_fields_set:
            return risk.rebalance_threshold
        chosen = [
            p.symphony.options.rebalance_threshold
            for p in self.parameters
            if isinstance(p, SymphonyParameters)
            and p.symphony.options.rebalance_threshold is not None
        ]
        return max(chosen, default=risk.rebalance_threshold)


def load(
    *,
    manifest: Path | None,
    run_id: str | None,
    environ: Mapping[str, str],
    now: datetime,
    symphony_dir: Path = Path(SYMPHONY_DIR),
) -> RunConfig:
    """Build the configuration from `--manifest` or the pod environment; ConfigError if bad."""
    config = _from_manifest(manifest, run_id, now) if manifest else _from_pod(environ, run_id)
    parsed: list[BaseModel] = []
    for index, allocation in enumerate(config.spec.allocations):
        try:
            params = parse_parameters(allocation.strategy, allocation.parameters)
            if isinstance(params, SymphonyParameters) and params.config_map_ref is not None:
                params = params.with_text(_symphony_text(symphony_dir, params))
        except ConfigError as error:
            raise ConfigError(f"spec.allocations[{index}].parameters: {error}") from None
        parsed.append(params)
    return replace(config, parameters=tuple(parsed))


def _symphony_text(directory: Path, params: SymphonyParameters) -> str:
    ref = params.config_map_ref
    assert ref is not None
    path = directory / ref.name / ref.key
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{ref}: cannot read {path}: {error.strerror}") from None
    return read_source(raw, str(ref))


def broker_urls(spec: TradingStrategySpec) -> tuple[str, str]:
    """Return (trading URL, market-data URL): the endpoint override, else Alpaca's by mode."""
    if spec.broker.endpoint:
        return spec.broker.endpoint, spec.broker.endpoint
    return (LIVE_URL if spec.mode is Mode.LIVE else PAPER_URL), DATA_URL


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _from_manifest(path: Path, run_id: str | None, now: datetime) -> RunConfig:
    try:
        # libyaml's safe loader when PyYAML has it (its wheels do): the same documents,
        # about 10x faster, which a manifest with a 2 MB symphony inline needs.
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as error:
        raise ConfigError(f"--manifest {path}: cannot read it: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"--manifest {_yaml_problem(path, error)}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"--manifest {path}: not a TradingStrategy object")
    try:
        strategy = TradingStrategy.model_validate(document)
    except ValidationError as error:
        raise ConfigError(f"--manifest {path}: {problems.summary(error)}") from None
    metadata = strategy.metadata
    name = str(metadata.get("name") or "local")
    namespace = str(metadata.get("namespace") or "default")
    labels = metadata.get("labels") or {}
    if not isinstance(labels, dict):
        raise ConfigError(f"--manifest {path}: metadata.labels is not a mapping")
    return RunConfig(
        spec=strategy.spec,
        namespace=namespace,
        name=name,
        uid=str(metadata.get("uid") or f"local-{namespace}-{name}"),
        run_id=run_id or f"local-{now.astimezone(UTC):%Y%m%dT%H%M%S%f}",
        labels=breakers.strategy_labels(name, {str(k): str(v) for k, v in labels.items()}),
    )


def _yaml_problem(path: Path, error: yaml.YAMLError) -> str:
    """`PATH:LINE:COL: what is wrong` (1-based), as a compiler says it; else the error."""
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return f"{path}: not YAML: {error}"
    problem = getattr(error, "problem", None) or "not YAML"
    context, where = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and where is not None:
        context = f"{context} opened at {where.line + 1}:{where.column + 1}"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: {problem}" + (
        f" ({context})" if context else ""
    )


def _from_pod(environ: Mapping[str, str], run_id: str | None) -> RunConfig:
    raw = environ.get(ENV_SPEC)
    if not raw:
        raise ConfigError(f"no strategy: pass --manifest FILE or set {ENV_SPEC}")
    try:
        spec = TradingStrategySpec.model_validate_json(raw)
    except ValidationError as error:
        raise ConfigError(f"{ENV_SPEC}: {problems.summary(error, 'spec')}") from None
    return RunConfig(
        spec=spec,
        namespace=_required(environ, ENV_STRATEGY_NAMESPACE),
        name=_required(environ, ENV_STRATEGY_NAME),
        uid=_required(environ, ENV_STRATEGY_UID),
        run_id=run_id or _required(environ, ENV_JOB_NAME),
        labels=breakers.strategy_labels(
            _required(environ, ENV_STRATEGY_NAME), _labels(environ.get(ENV_STRATEGY_LABELS))
        ),
    )


def _labels(raw: str | None) -> Mapping[str, str] | None:
    if raw is None:
        return None
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{ENV_STRATEGY_LABELS} is not JSON: {error.msg}") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{ENV_STRATEGY_LABELS} must be a JSON object of strings")
    return value


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise ConfigError(f"{name} is not set (the operator renders it into the pod)")
    return value

"""`alchemiser backtest-job`: one variant of a TradingBacktest, inside its Job's pod.

Rule: reads the pod's environment once (runtime.ENV_BACKTEST_*, the Job's completion
index), runs the same replay as `alchemiser backtest`, keeps the report in a
ConfigMap (publish.py) and writes the variant's figures as the termination message
(a VariantResult, under 4 KiB) and as the last stdout line. Exit 0 when the
backtest ran (whatever it earned), 1 when it could not.
"""

import contextlib
import sys
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alchemiser.api import TradingBacktestSpec, problems, runtime
from alchemiser.api.v1alpha1 import BacktestState, DataSource, VariantResult
from alchemiser.backtest import assemble, data, publish
from alchemiser.backtest.broker import FillModel
from alchemiser.backtest.outputs import write_all
from alchemiser.backtest.replay import replay
from alchemiser.errors import AlchemiserError, ConfigError


def run(environ: Mapping[str, str], termination_log: Path) -> int:
    """Run the variant this pod's completion index names; always writes a result."""
    index = environ.get(runtime.ENV_COMPLETION_INDEX, "0")
    variant, period = f"index-{index}", ""
    try:
        spec = _spec(environ)
        variant, start, end = spec.periods()[int(index)]
        period = f"{start}..{end}"
        result = _one(spec, int(index), environ, variant, period)
    except (AlchemiserError, ValueError, IndexError) as error:
        result = VariantResult(
            variant=variant,
            period=period,
            state=BacktestState.FAILED,
            message=f"{type(error).__name__}: {error}"[:1000],
        )
    text = result.model_dump_json(by_alias=True, exclude_none=True)
    with contextlib.suppress(OSError):  # outside a pod: stdout carries it
        termination_log.write_text(text, encoding="utf-8")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0 if result.state is BacktestState.SUCCEEDED else 1


def _spec(environ: Mapping[str, str]) -> TradingBacktestSpec:
    raw = environ.get(runtime.ENV_BACKTEST_SPEC)
    if not raw:
        raise ConfigError(f"{runtime.ENV_BACKTEST_SPEC} is not set (the operator renders it)")
    try:
        spec = TradingBacktestSpec.model_validate_json(raw)
    except ValidationError as error:
        found = problems.summary(error, "spec")
        raise ConfigError(f"{runtime.ENV_BACKTEST_SPEC}: {found}") from None
    if spec.strategy is None:
        raise ConfigError("the backtest spec has no inline strategy (the operator resolves it)")
    return spec


def _one(
    spec: TradingBacktestSpec, index: int, environ: Mapping[str, str], variant: str, period: str
) -> VariantResult:
    _, start, end = spec.periods()[index]
    strategy = spec.strategy
    assert strategy is not None
    chosen = spec.variants[index] if spec.variants else None
    if chosen is not None and chosen.allocations:
        strategy = strategy.model_copy(update={"allocations": chosen.allocations})
    name = environ.get(runtime.ENV_BACKTEST_NAME, "backtest")
    namespace = environ.get(runtime.ENV_BACKTEST_NAMESPACE, "default")
    with tempfile.TemporaryDirectory() as scratch:
        manifest = Path(scratch) / "strategy.yaml"
        document = {
            "apiVersion": runtime.API_VERSION,
            "kind": runtime.STRATEGY_KIND,
            "metadata": {"name": name, "namespace": namespace},
            "spec": strategy.model_dump(by_alias=True, mode="json", exclude_none=True),
        }
        manifest.write_text(yaml.safe_dump(document), encoding="utf-8")
        choices = assemble.Choices(
            manifest=manifest,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            cash=spec.cash,
            fills=FillModel(slippage_bps=spec.slippage_bps, commission_per_order=spec.commission),
            benchmark=spec.benchmark,
        )
        source, load = _data(spec)
        setup = assemble.build(choices, load)
        record = replay(setup)
        out = Path(scratch) / "out"
        summary = write_all(out, setup, record, source)
        report = (out / "report.html").read_text(encoding="utf-8")
    manifest_cm, fits = publish.configmap(
        namespace=namespace,
        backtest=name,
        uid=environ.get(runtime.ENV_BACKTEST_UID, ""),
        variant=variant,
        report_html=report,
        summary=summary,
    )
    publish.apply(manifest_cm, environ)
    return _result(summary, variant, period, manifest_cm["metadata"]["name"], fits)


def _result(
    summary: Mapping[str, Any], variant: str, period: str, configmap: str, fits: bool
) -> VariantResult:
    ours = summary["metrics"]
    return VariantResult(
        variant=variant,
        period=period,
        state=BacktestState.SUCCEEDED,
        cagr=ours["cagr"],
        total_return=ours["totalReturn"],
        max_drawdown=ours["maxDrawdown"],
        sharpe=ours["sharpe"],
        sortino=ours["sortino"],
        volatility=ours["volatility"],
        benchmark_cagr=summary["benchmark"].get("cagr"),
        orders=summary["orders"],
        rejections=summary["rejections"],
        failed_runs=len(summary["failedRuns"]),
        report_config_map=configmap,
        message=""
        if fits
        else "report larger than a ConfigMap holds: run `alchemiser backtest` locally for it",
    )


def _data(spec: TradingBacktestSpec) -> tuple[str, assemble.Loader]:
    """The pod's data: Alpaca through the mounted Secret (bars cached in /tmp), or the sim."""
    if spec.data.source is DataSource.ALPACA:
        return data.alpaca_loader(
            credentials_dir=Path(runtime.CREDENTIALS_DIR),
            cache_dir=Path(tempfile.gettempdir()) / "bars",
        )
    return data.sim_loader(spec.data.seed)

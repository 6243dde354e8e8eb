"""`alchemiser operator`, `halt` and `resume`.

Wiring only: parse flags, configure logging, build the kopf registry and run it;
`halt`/`resume` create and delete TradingHalts through kube.py.
"""

import argparse
import asyncio
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import kopf

from alchemiser import logs
from alchemiser.api import runtime
from alchemiser.errors import ConfigError
from alchemiser.operator import handlers, notifying, peering, settings
from alchemiser.operator.kube import Kube

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    """Add the `operator`, `halt` and `resume` subcommands."""
    operator = subparsers.add_parser("operator", help="run the Kubernetes operator")
    settings.add_arguments(operator)
    operator.set_defaults(handler=run_operator)

    halt = subparsers.add_parser("halt", help="create a TradingHalt (the kill switch)")
    halt.add_argument("name", help="name of the TradingHalt")
    halt.add_argument("--reason", required=True, help="why trading is halted")
    halt.add_argument("--mode", choices=("Halt", "ReduceOnly"), default="Halt")
    halt.add_argument(
        "--namespace", "-n", action="append", default=[], help="limit to a namespace (repeatable)"
    )
    halt.add_argument(
        "--selector", "-l", default="", help="strategy label selector KEY=VALUE[,KEY=VALUE]"
    )
    halt.add_argument("--expires-in", help="expire after a duration such as 30m, 2h, 1d")
    halt.add_argument("--kubeconfig", help="kubeconfig file (default KUBECONFIG or in-cluster)")
    halt.set_defaults(handler=run_halt)

    resume = subparsers.add_parser("resume", help="delete a TradingHalt")
    resume.add_argument("name", help="name of the TradingHalt to delete")
    resume.add_argument("--kubeconfig", help="kubeconfig file (default KUBECONFIG or in-cluster)")
    resume.set_defaults(handler=run_resume)


def run_operator(args: argparse.Namespace) -> int:
    """Run the operator until interrupted."""
    config = settings.from_args(args, os.environ)
    logs.configure(json=config.log_format == "json", level=config.log_level)
    notifications = notifying.load(config.notifications_config)  # a bad file fails here
    priority = config.priority
    if priority is None:
        # Distinct random priorities: kopf pauses every operator that sees a peer with a
        # higher *or equal* priority, so equal priorities would pause both replicas.
        priority = random.SystemRandom().randint(1, 2**30)
    peer = peering.Peer(peering.own_identity(), priority)
    kopf.run(
        registry=handlers.build_registry(
            config, None if config.standalone else peer, notifications
        ),
        clusterwide=not config.namespaces,
        namespaces=list(config.namespaces),
        standalone=config.standalone,
        priority=priority,
        identity=peer.identity,  # type: ignore[arg-type]  # kopf.Identity is a NewType of str
        liveness_endpoint=config.liveness_endpoint,
        memo=kopf.Memo(),
    )
    return 0


def halt_manifest(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """The TradingHalt the `halt` command creates."""
    spec: dict[str, Any] = {"reason": args.reason, "mode": args.mode}
    if args.namespace:
        spec["namespaces"] = list(args.namespace)
    if args.selector:
        labels = {}
        for item in args.selector.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ConfigError(f"selector item {item!r} must look like KEY=VALUE")
            labels[key.strip()] = value.strip()
        spec["strategySelector"] = {"matchLabels": labels}
    if args.expires_in:
        match = _DURATION.match(args.expires_in)
        if match is None:
            raise ConfigError(f"--expires-in {args.expires_in!r} must look like 30s, 30m, 2h, 1d")
        expires = now + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
        spec["expiresAt"] = expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": runtime.API_VERSION,
        "kind": runtime.HALT_KIND,
        "metadata": {"name": args.name},
        "spec": spec,
    }


def run_halt(args: argparse.Namespace) -> int:
    """Create the TradingHalt and print its name."""
    manifest = halt_manifest(args, datetime.now(UTC))

    async def create() -> None:
        async with Kube.from_environment(args.kubeconfig) as kube:
            await kube.create_halt(manifest)

    asyncio.run(create())
    print(f"tradinghalt/{args.name} created")
    return 0


def run_resume(args: argparse.Namespace) -> int:
    """Delete the TradingHalt; exit 1 when it did not exist."""

    async def delete() -> bool:
        async with Kube.from_environment(args.kubeconfig) as kube:
            return await kube.delete_halt(args.name)

    if asyncio.run(delete()):
        print(f"tradinghalt/{args.name} deleted")
        return 0
    print(f"tradinghalt/{args.name} not found")
    return 1

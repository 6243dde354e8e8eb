"""Backtests: the worker's own pipeline replayed over history against a backtest broker.

Rule: nothing here decides, plans or checks risk: `replay` runs `worker.pipeline.run`
at each scheduled instant, and `broker.BacktestBroker` is an adapter behind the
worker's broker port that fills by a stated model over recorded prices. Only
`data` reads market data from outside and only `outputs` writes files; `cli` wires.

Modules, from pure to effectful: schedule (cron to fire instants), prices (what is
known at an instant), broker (the port over prices), recording (what strategies
decided), metrics, summary, report (HTML), replay (the loop), assemble (choices to a
setup), progress, data, outputs, cli.
"""

"""The worker: one trading run. Pure decision code (strategies, indicators, planner, risk)
behind a thin pipeline that does the I/O (broker adapter, halts, credentials, clock).

Rule: never imports alchemiser.operator; only the broker adapter imports alpaca.
"""

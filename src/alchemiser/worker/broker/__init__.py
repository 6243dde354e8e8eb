"""The broker port and its adapters.

Rule: only `alchemiser.worker.broker.alpaca` imports alpaca; everything else in the
worker talks to the ports (`MarketData` and `Execution`, both together `Broker`)
and sees only the value types defined in `port`.
"""

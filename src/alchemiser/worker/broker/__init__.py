"""The broker port and its adapters.

Rule: only `alchemiser.worker.broker.alpaca` imports alpaca; everything else in the
worker talks to a `Broker` (the port) and sees only the value types defined there.
"""

"""The paper exchange: an Alpaca-compatible HTTP server with deterministic prices.

Rule: never imports alchemiser.operator or alchemiser.worker.
"""

"""Alchemiser: run algorithmic trading strategies on Kubernetes, safely."""

__version__ = "0.1.0"

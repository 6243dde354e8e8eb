"""The Alchemiser API: CRD models (pure data), CRD generation, and the operator/worker contract.

Rule: no I/O at import, nothing from operator, worker or sim.
"""

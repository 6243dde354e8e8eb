"""The kopf operator: thin handlers, pure builders (spec -> manifests), one module for kube I/O.

Rule: never imports alchemiser.worker or alchemiser.sim.
"""

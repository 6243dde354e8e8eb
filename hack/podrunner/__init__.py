"""A local pod runner: a stand-in for kubelet, for the project's own image only.

Development and tests only. It watches the pods bound to one Node that kwok
does not manage, runs each container's command as a local process (the image's
`alchemiser` entrypoint maps to the virtual environment's console script) in a
private mount namespace where Secret, ConfigMap, projected and downwardAPI
volumes appear at their mount paths with kubelet's on-disk layout, and reports
pod status as kubelet does. Pods whose image is not the project's stay Pending
with an Event saying why.

Module rule: `spec` and `volumes.layout` are pure (no API calls, no
processes); `kube` is the only module that talks to the API server; `sandbox`
is the only one that starts processes.
"""

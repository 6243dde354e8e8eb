"""The watch loop: every pod bound to the runner's Node gets one PodWorker.

List, then watch from the list's resourceVersion; relist when the watch
expires (410). A pod that disappears from the API tells its worker; a worker
whose pod is finished and deleted simply ends.
"""

from __future__ import annotations

import threading
from typing import Any

from podrunner.kube import ApiError, Kube
from podrunner.pods import PodWorker, Settings

Obj = dict[str, Any]


class Runner:
    """Dispatches pod events to per-pod workers."""

    def __init__(self, kube: Kube, settings: Settings) -> None:
        self.kube = kube
        self.settings = settings
        self.workers: dict[str, PodWorker] = {}
        self.stopped = threading.Event()

    def _selector(self) -> dict[str, str]:
        return {"fieldSelector": f"spec.nodeName={self.settings.node}"}

    def _dispatch(self, kind: str, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if kind == "DELETED":
            if worker is not None:
                worker.gone()
                self.workers.pop(uid, None)
            return
        if worker is None or not worker.is_alive():
            if worker is not None and not worker.is_alive():
                # A finished worker already finalized; only a deletion needs handling again.
                if pod["metadata"].get("deletionTimestamp"):
                    worker.finalize()
                return
            worker = PodWorker(self.kube, self.settings, pod)
            self.workers[uid] = worker
            worker.start()
            return
        worker.update(pod)

    def _list(self) -> str:
        answer = self.kube.request("GET", "/api/v1/pods", query=self._selector())
        seen = set()
        for pod in answer.get("items") or []:
            seen.add(pod["metadata"]["uid"])
            self._dispatch("MODIFIED", pod)
        for uid in list(self.workers):
            if uid not in seen:
                self.workers.pop(uid).gone()
        return str(answer["metadata"]["resourceVersion"])

    def run(self) -> None:
        """Serve until stop() is called."""
        version = ""
        while not self.stopped.is_set():
            try:
                if not version:
                    version = self._list()
                query = {
                    **self._selector(),
                    "resourceVersion": version,
                    "allowWatchBookmarks": "true",
                }
                for event in self.kube.watch("/api/v1/pods", query, timeout_seconds=60):
                    if self.stopped.is_set():
                        return
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        version = ""
                        break
                    version = obj["metadata"].get("resourceVersion", version)
                    if event["type"] != "BOOKMARK":
                        self._dispatch(event["type"], obj)
            except ApiError as error:
                self.settings.log(f"pod watch interrupted: {error}; listing again")
                version = ""
                self.stopped.wait(1.0)

    def stop(self) -> None:
        """Stop watching and stop every running pod's processes."""
        self.stopped.set()
        for worker in list(self.workers.values()):
            worker.stop()
        for worker in list(self.workers.values()):
            worker.join(timeout=15)

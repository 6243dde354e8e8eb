"""A webhook receiver run as its own process for the notification tests and the bench.

`python receiver.py PORT` serves until killed. Every POST to any path except /_admin
is recorded (path, headers, body, the status answered). Its behaviour is switched
through POST /_admin/mode with JSON {"mode": ok|error|reject|hang, "times": N}: the next
N requests (all, when N is absent) get HTTP 503, HTTP 400, or no answer at all, the
rest 200. GET /_admin/received returns the records; DELETE /_admin/received clears them.
"""

import asyncio
import sys
from typing import Any

from aiohttp import web

RECORDS = web.AppKey("records", list)
MODE = web.AppKey("mode", dict)


async def receive(request: web.Request) -> web.Response:
    mode: dict[str, Any] = request.app[MODE]
    body = await request.read()
    current = "ok"
    if mode.get("times") is None or mode["times"] > 0:
        current = mode.get("mode", "ok")
        if mode.get("times") is not None:
            mode["times"] -= 1
    status = {"ok": 200, "error": 503, "reject": 400, "hang": 0}[current]
    request.app[RECORDS].append(
        {
            "path": request.path,
            "headers": {name.lower(): value for name, value in request.headers.items()},
            "body": body.decode(errors="replace"),
            "status": status,
        }
    )
    if current == "hang":
        await asyncio.sleep(3600)
    return web.Response(status=status, text="ok" if status == 200 else "no")


async def set_mode(request: web.Request) -> web.Response:
    request.app[MODE].clear()
    request.app[MODE].update(await request.json())
    return web.json_response(request.app[MODE])


async def received(request: web.Request) -> web.Response:
    if request.method == "DELETE":
        request.app[RECORDS].clear()
    return web.json_response(request.app[RECORDS])


def app() -> web.Application:
    application = web.Application()
    application[RECORDS] = []
    application[MODE] = {"mode": "ok"}
    application.router.add_post("/_admin/mode", set_mode)
    application.router.add_get("/_admin/received", received)
    application.router.add_delete("/_admin/received", received)
    application.router.add_post("/{tail:.*}", receive)
    return application


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"receiver listening on 127.0.0.1:{port}", flush=True)
    web.run_app(app(), host="127.0.0.1", port=port, print=None, shutdown_timeout=0.5)

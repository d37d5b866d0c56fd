"""The HTTP floor: a bare Quart app with one static JSON GET, nothing else.

No auth, validation, metrics, headers or database: what a JSON GET costs on the same
framework and server as the platform. Run by `http_bench.py` the same way as the platform
(Hypercorn, uvloop worker, one process):

    python bench/http_floor.py --port 8100
"""

from __future__ import annotations

from floor_server import serve
from quart import Quart

app = Quart("http_floor")

# About the size of `/healthz`'s answer and of a small API object.
BODY = {"status": "ok", "id": 1, "username": "floor", "display_name": "Floor"}


@app.get("/")
async def static_json() -> dict[str, object]:
    return BODY


def main() -> None:
    serve("http_floor:app")


if __name__ == "__main__":
    main()

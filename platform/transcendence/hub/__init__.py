"""The realtime hub: one authenticated WebSocket per browser tab at `/ws`.

Where things are:

- `protocol.py`: the envelope, the core types, close codes, encoding, the JSON Schema;
- `endpoint.py`: one socket's life (accept, `auth`, read loop); `dispatch.py`: routing a
  frame to a core type or an enabled module's handler;
- `connection.py`: a socket's bounded outbound queue and sender task; `ratelimit.py`;
- `delivery.py`: `to_user` / `to_users` / `to_topic` over the bus, fanned into local queues;
- `presence.py`: online / in game / offline across tabs and nodes, `presence.changed`;
- `notifications.py`: `notify()` (stored + pushed live) and read marks;
- `routes.py`: the `/ws` mount, `GET /api/realtime/schema.json`, `/api/notifications/`;
- `hub.py`: the `Hub` tying them together, heartbeats, metrics; `config.py`: its knobs.

From a module: `get_hub(app).deliver.to_user(user_id, "chat.message", data)`,
`await conn.subscribe("pong.match.42")` in a handler, `get_hub(app).presence.set_in_game(...)`,
`await notify(user_id, "tournament.next", {...})`; data a module encoded itself (a hot path)
goes as `Encoded(json_text)`. See docs/realtime.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from transcendence.hub.config import HubConfig
from transcendence.hub.hub import Hub
from transcendence.hub.lookup import EXTENSION, current_hub, get_hub
from transcendence.hub.notifications import mark_read, notify
from transcendence.hub.protocol import Encoded
from transcendence.hub.routes import SocketMount, notifications_blueprint, realtime_blueprint
from transcendence.realtime import RealtimeError

if TYPE_CHECKING:
    from quart import Quart

    from transcendence.core import Core
    from transcendence.hub.users import Users


def install(app: Quart, core: Core, users: Users) -> Hub:
    """Mount `/ws` and the hub's routes; start and stop the hub with the app. `users` answers
    the hub's questions about users (tokens, last seen, friends): the hub sits below accounts."""
    hub = Hub(app, core, users)
    app.extensions[EXTENSION] = hub
    core.hub = hub
    app.asgi_app = SocketMount(app.asgi_app, hub)  # type: ignore[method-assign,assignment]
    app.register_blueprint(realtime_blueprint)
    app.register_blueprint(notifications_blueprint)

    @app.before_serving
    async def _start_hub() -> None:
        await hub.start()

    # Stopped by the core's own shutdown (`Core.drain`, then `after_serving`):
    # modules' shutdown hooks first, then the sockets' close frames, then presence, while
    # the bus and the database are still up.
    return hub


__all__ = [
    "Encoded",
    "Hub",
    "HubConfig",
    "RealtimeError",
    "current_hub",
    "get_hub",
    "install",
    "mark_read",
    "notify",
]

"""`transcendence play`: remote Pong in a terminal, against a web user or the AI.

The command belongs to the pong module (its `register_commands` hookimpl), so it exists
exactly while pong is enabled. It only speaks the public API: REST to log in and look
people up, the realtime socket (`/ws`) to get a seat and play. Three layers, each usable
without the next:

- **Protocol** — `PongClient` (`protocol.py`) logs in, opens the socket (`auth` first),
  sends frames (a request waits for the answer carrying its id), answers server pings, and
  queues every push for `next_event()`. `find_game()` (`seat.py`) gets a seat (queue,
  invitation sent or accepted, AI game) and returns a `Game`. No terminal code in either.
- **UI** — `KeyParser` (bytes → keys) and `KeyHolder` (terminals report presses only: a
  press is held for `hold` seconds and autorepeat extends it; then the release is sent) in
  `keys.py`, `render()` (a `pong.state` → lines of text) in `drawing.py`, `Terminal` (raw
  mode, alternate screen) and `Screen` (redraws at most 30 times a second) in `screen.py`.
  No protocol code.
- **Glue** — `play_game()` (`play.py`) feeds keys to the client and states to the screen
  until the match ends; `play()` runs the whole thing and `register()` (`command.py`) adds
  the Typer command.

This package exports what the pong module and the tests use; the rest stays in its file.
User documentation: docs/play.md.
"""

from transcendence_pong.terminal.command import register
from transcendence_pong.terminal.keys import KeyHolder, KeyParser
from transcendence_pong.terminal.play import play_game
from transcendence_pong.terminal.protocol import PlayError, PongClient
from transcendence_pong.terminal.seat import Plan, find_game

__all__ = [
    "KeyHolder",
    "KeyParser",
    "Plan",
    "PlayError",
    "PongClient",
    "find_game",
    "play_game",
    "register",
]

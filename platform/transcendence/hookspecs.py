"""Every hook a Transcendence module can implement.

A module is an ordinary Python package that registers itself under the entry-point group
`transcendence.modules` and implements some of these hooks with `@hookimpl`
(`from transcendence import hookimpl`). Pluggy lets an implementation accept fewer
arguments than its spec, so these specs can grow without breaking modules.

Hooks marked *async allowed* may be implemented as coroutines; the core awaits them
through `transcendence.plugins.call_async`. The others must return plainly.

A module may declare hookspecs of its own (pong declares `pong_ai_player`) by
implementing `add_hookspecs(pm)`; other modules then implement them like these.

Hooks that run with the app receive `core` (a `transcendence.core.Core`: the app, settings,
bus, hub, registry, metrics and `core.hook(name)` / `core.call(name, ...)` for the modules
enabled on this node), so a module never digs the app out of a context variable. Taking
`core` is optional: an implementation names only the arguments it uses.

The hooks are grouped by when they run: loading, building the app, serving, requests, and
games (a game module's matches: `transcendence.games`).
`docs/modules.md` documents every hook below; a test fails when one is missing there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from quart import Blueprint, Quart

    from transcendence.accounts.models import User
    from transcendence.core import Core
    from transcendence.games import Game, MatchResult
    from transcendence.realtime import ModuleHub

hookspec = pluggy.HookspecMarker("transcendence")

# -------------------------------------------------------------------------------------------
# Loading: once per process, when the installed modules are loaded (server and CLI alike).
# -------------------------------------------------------------------------------------------


@hookspec
def add_hookspecs(pm: pluggy.PluginManager) -> None:
    """Register this module's own hookspecs with `pm.add_hookspecs(...)`.

    Called once, right after every module is loaded and before any other hook.
    """


@hookspec
def module_info() -> dict[str, Any]:
    """Describe the module: `{"name", "title", "description", "version", "requires"}`.

    `name` is the module's id (lowercase letters, digits and `_`): its API prefix
    `/api/<name>/`, its static URL `/modules/<name>/static/`, its Tortoise app label and
    the prefix of its realtime types. `requires` lists the names of modules it needs
    enabled. Required: a plugin without it is not a module and is refused.
    """


@hookspec
def register_models() -> list[str]:
    """Import paths of the module's Tortoise model modules (e.g. `["transcendence_chat.models"]`).

    They form one Tortoise app labelled with the module's name; its migrations live in the
    sibling `migrations` package. Tables are named `<module>_<entity>`. Tables stay in
    place while a module is disabled, so disabling never loses data.
    """


@hookspec
def register_commands(cli: typer.Typer) -> None:
    """Add Typer commands or sub-apps to the `transcendence` CLI (`cli` is a `typer.Typer`).

    Called while the CLI is built, after modules are loaded, only for enabled modules.
    """


# -------------------------------------------------------------------------------------------
# Building the app: once per app, in `create_app`, for every installed module (enabled or
# not: a disabled module's routes and realtime types are mounted but refused).
# -------------------------------------------------------------------------------------------


@hookspec
def register_blueprints() -> list[Blueprint | tuple[Blueprint, str]]:
    """Quart blueprints of the module.

    Each item is a `Blueprint`, mounted under `/api/<module>`, or a `(Blueprint, prefix)`
    pair mounted under `prefix` for compatibility paths such as `/api/chats`. While the
    module is disabled its routes answer 404 with a JSON error.
    """


@hookspec
def register_realtime(hub: ModuleHub, core: Core) -> None:
    """Register realtime message handlers with the hub (`hub.handler("<module>.<action>", Model)`).

    Types must start with the module's name. A disabled module's types are refused.
    `core.hub` is the app's realtime hub (installed already), to deliver to other users.
    """


@hookspec
def web_assets() -> dict[str, Any]:
    """Browser code of the module: `{"static_dir": Path, "entry": "index.js", "styles": [...]}`.

    `static_dir` is served at `/modules/<name>/static/`; the SPA shell imports `entry` for
    every enabled module.
    """


# -------------------------------------------------------------------------------------------
# Serving: on each node, as the module is enabled or disabled there (and at the node's start
# and stop), in `requires` order (shutdown in reverse).
# -------------------------------------------------------------------------------------------


@hookspec
def startup(app: Quart, core: Core) -> None:
    """Called when the app starts serving, after the database is ready. *Async allowed.*"""


@hookspec
def shutdown(app: Quart, core: Core) -> None:
    """Called when the app stops serving (or the module is disabled). *Async allowed.*

    At a shutdown it runs before anything closes: sockets are still open (they get their
    1001 close frame right after), the bus and the database still work. Hand over or
    store what this node holds (docs/operations.md, "Graceful shutdown").
    """


# -------------------------------------------------------------------------------------------
# Requests: while serving, when a request needs every enabled module's part.
# -------------------------------------------------------------------------------------------


@hookspec
def module_status(app: Quart, core: Core) -> dict[str, Any] | None:
    """How the module stands on this app now: `{"configured": bool, "message": str}`.

    `configured` is False when the module lacks settings it needs to work (credentials, an
    endpoint); `message` says what to set. Shown by `GET /api/modules` and `transcendence
    modules info|list`, so an evaluator sees why a feature is hidden. Optional: a module
    without it is configured.
    """


@hookspec
def user_profile_extras(user: User, core: Core) -> dict[str, Any]:
    """Extra fields for a user's public profile (wins, losses, match history...). *Async allowed.*

    Return a dict; the core merges every enabled module's dict under `extras`.
    """


# -------------------------------------------------------------------------------------------
# Games: a game module offers its games; it reports its matches' ends to every module
# (`transcendence.games`, docs/modules.md "Writing a game").
# -------------------------------------------------------------------------------------------


@hookspec
def register_games() -> list[Game]:
    """The games this module provides: `transcendence.games.Game` objects.

    Other modules find them with `transcendence.games.games_of(core)` (enabled modules
    only) and start, read and end matches through them, knowing no game in particular.
    """


@hookspec
def match_finished(result: MatchResult, core: Core | None) -> None:
    """A match ended and is stored: its `transcendence.games.MatchResult` (`result.game`
    names the game). *Async allowed.*

    Called once, on the node that ran it, after the result is committed; `core` is None
    where no app runs (`tournaments seed --play`). What it counts for is
    `transcendence.games.records.counts(result)`. The tournament module advances its
    bracket here; the stats module updates its aggregates.
    """


@hookspec
def match_interrupted(result: MatchResult, core: Core) -> None:
    """A match was recorded with the status "interrupted": no node could carry it on (its
    node was killed, or its state was found too late). No winner, no rating change.
    *Async allowed.*

    Called once, on the node that recorded it, while that node runs (a node that stops
    records its matches interrupted without calling it: modules catch up at their next
    start). The tournament module calls the match again.
    """


@hookspec
def match_player_joined(game: str, match_id: str, user_id: int, core: Core) -> None:
    """A player arrived at a match created with `hold=True` (it waits for its players).
    *Async allowed.*

    Called once per seat, on the node that runs the match. The tournament module marks the
    player present (a player still absent at the deadline loses by forfeit).
    """

"""Transcendence core: the Quart app, the module system, accounts and the realtime hub."""

import pluggy

hookimpl = pluggy.HookimplMarker("transcendence")

__all__ = ["hookimpl"]
__version__ = "0.1.0"

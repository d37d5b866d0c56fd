"""Transcendence core: the Quart app, the module system, accounts and the realtime hub."""

from importlib.metadata import PackageNotFoundError, version

import pluggy

hookimpl = pluggy.HookimplMarker("transcendence")

__all__ = ["hookimpl"]
# pyproject.toml is the one place the version is written.
try:
    __version__ = version("transcendence")
except PackageNotFoundError:  # a source tree on sys.path, never installed
    __version__ = "0+unknown"

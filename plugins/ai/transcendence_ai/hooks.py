"""The ai module's hookimpls: it fills the AI seats of pong games (pong's `play_headless`
plays a tournament's matches between two AI seats with them too)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from transcendence import hookimpl
from transcendence_ai.bot import LEVELS, Bot

HERE = Path(__file__).parent


@hookimpl
def module_info():
    return {
        "name": "ai",
        "title": "AI opponent",
        "description": "A Pong opponent that looks once per second and plays with simulated "
        "key presses at human paddle speed (easy, normal, hard).",
        "requires": ["pong"],
        # The title and description in the platform's other languages (for /about and home).
        "translations": json.loads((HERE / "translations.json").read_text("utf-8")),
    }


@hookimpl
def pong_ai_player(side, level):
    if level not in LEVELS:
        level = "normal"
    return Bot(side, level, seed=random.SystemRandom().randrange(2**32))

"""The module "sample_child": requires "sample" and implements its hookspec."""

import asyncio
import json
from pathlib import Path

from transcendence import hookimpl


@hookimpl
def module_info():
    return {
        "name": "sample_child",
        "title": "Sample child",
        "version": "1.0",
        "requires": ["sample"],
        "translations": json.loads(
            (Path(__file__).parent / "child_translations.json").read_text(encoding="utf-8")
        ),
    }


@hookimpl
def sample_greeting():
    return "hello from sample_child"


@hookimpl
async def sample_noted(text):
    await asyncio.sleep(0)  # really async: its work runs only if the core awaits it
    return "sample_child"

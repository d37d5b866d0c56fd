"""ASGI entry point for Hypercorn (`transcendence.asgi:app`); settings come from the environment."""

from transcendence.app import create_app

app = create_app()

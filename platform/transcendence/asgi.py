"""ASGI entry point for Hypercorn (`transcendence.asgi:app`); settings come from the environment."""

from transcendence.app import create_app
from transcendence.observability import configure_logging
from transcendence.settings import Settings

settings = Settings()
configure_logging(settings.log_format)
app = create_app(settings)

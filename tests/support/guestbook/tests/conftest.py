"""The guestbook's tests use the platform's pytest plugin, nothing else."""

import pytest

pytest_plugins = ["transcendence.testing"]


@pytest.fixture
def transcendence_extra_modules():
    # Not installed while it is developed here: loaded by import path.
    return ["transcendence_guestbook"]

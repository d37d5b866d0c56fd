"""One build step pyproject.toml cannot say: the SPA (web/) ships inside the package.

web/ stays at the repository root, where a checkout and the editable install serve it from
(`transcendence.routes.WEB_DIR`); a built wheel has no repository beside it, so the whole tree
is copied to `transcendence/web` in the wheel. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

WEB = "web"


class BuildPyWithWeb(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # the editable install serves the repository's web/ itself
        if not Path(WEB).is_dir():
            # A wheel without its pages would answer 500 on `/`: never build one.
            raise SystemExit(f"{WEB}/ is missing: the wheel ships the SPA (copy it in first)")
        self.copy_tree(WEB, str(Path(self.build_lib) / "transcendence" / "web"))


setup(cmdclass={"build_py": BuildPyWithWeb})

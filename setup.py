"""Packaging beyond pyproject.toml: a built package carries its compiled catalogs and front-end files.

Everything else is declared in pyproject.toml; this only adds the generated files to the build
(tools/build_assets.py says how they are made).
"""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the build backend does not put the project on the path

from tools.build_assets import AssetError, compile_catalogs, fetch_vendor  # noqa: E402


class BuildPyWithAssets(build_py):
    """Also writes vafa/locale/*/LC_MESSAGES/django.mo and vafa/web/static/vendor/ into the build."""

    def run(self):
        super().run()
        if self.editable_mode:
            # An editable install serves the checkout, which `make install` fills.
            return
        package = Path(self.build_lib) / "vafa"
        try:
            self._generated = [*compile_catalogs(HERE / "vafa" / "locale", package / "locale"),
                               *fetch_vendor(HERE, package / "web" / "static" / "vendor")]
        except AssetError as exc:
            sys.exit(f"error: {exc}")

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), *map(str, getattr(self, "_generated", []))]


setup(cmdclass={"build_py": BuildPyWithAssets})

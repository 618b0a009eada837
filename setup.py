"""Ship the top-level ``locale/`` catalogs inside the wheel as ``bot/locale``.

``locale/`` cannot be a package (it would shadow the standard library's ``locale``), so the
build copies it; `bot.i18n.locale_dir` looks there first and falls back to the checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "locale"
        target = Path(self.build_lib) / "bot" / "locale"
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithCatalogs})

"""An installed copy (not the checkout) finds and uses the catalogs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_built_package_carries_the_catalogs(tmp_path: Path) -> None:
    build = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert (build / "bot" / "locale" / "da" / "LC_MESSAGES" / "messages.po").exists()
    assert (build / "bot" / "fakebot" / "api.min.json").exists()
    assert (build / "bot" / "sandbox" / "page.html").exists()
    assert list((build / "bot" / "data" / "crisis_phrases").glob("*.txt"))
    probe = (
        "from zoneinfo import ZoneInfo; from bot.i18n import Translator, locale_dir;"
        "print(locale_dir()); print(Translator('da', ZoneInfo('UTC'))._('Language'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(build)},
    )
    where, word = result.stdout.split()
    assert where.startswith(str(build))
    assert word == "Sprog"

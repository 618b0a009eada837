"""The systemd unit in deploy/ is valid, when the machine can check it."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_systemd_unit_verifies() -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here")
    result = subprocess.run(
        [tool, "verify", "--man=no", str(ROOT / "deploy" / "peerbot.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    # The program itself is not installed on a test machine; everything else must be clean.
    problems = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and "is not executable" not in line
    ]
    assert problems == []


def test_unit_has_the_hardening_the_guide_promises() -> None:
    unit = (ROOT / "deploy" / "peerbot.service").read_text()
    for setting in (
        "User=peerbot",
        "ProtectSystem=strict",
        "StateDirectory=peerbot",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
    ):
        assert setting in unit

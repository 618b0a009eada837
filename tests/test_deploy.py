"""The systemd unit in deploy/ is valid, when the machine can check it."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


UNIT = ROOT / "deploy" / "peerbot.service"
MAX_EXPOSURE = 3.0  # systemd-analyze security: up to 3 is rated "OK"


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing in CI; .ci/run installs Debian's systemd")
        pytest.skip("systemd-analyze is not installed here")
    return tool


def test_systemd_unit_verifies() -> None:
    tool = systemd_analyze()
    result = subprocess.run(
        [tool, "verify", "--man=no", str(UNIT)],
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
    unit = UNIT.read_text().splitlines()
    for setting in (
        "User=peerbot",
        "ProtectSystem=strict",
        "StateDirectory=peerbot",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "LimitNOFILE=65536",
        "SystemCallFilter=@system-service",
        "RestrictNamespaces=yes",
        "ProtectProc=invisible",
        "CapabilityBoundingSet=",
        "MemoryDenyWriteExecute=yes",
    ):
        assert setting in unit


def test_systemd_rates_the_unit_at_most_3() -> None:
    result = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for peerbot\.service: (\d+\.\d+)", result.stdout)
    assert found is not None, result.stdout + result.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout

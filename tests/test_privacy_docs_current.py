"""The documents in docs/privacy/ are what `peerbot privacy-docs` makes of the example file."""

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "peerbot --config peerbot.example.toml privacy-docs --out docs/privacy"


def test_committed_documents_are_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    example = ROOT / "peerbot.example.toml"
    assert main(["--config", str(example), "privacy-docs", "--out", str(tmp_path)]) == 0
    for fresh in tmp_path.glob("*.md"):
        committed = ROOT / "docs" / "privacy" / fresh.name
        assert committed.exists(), (
            "run: peerbot --config peerbot.example.toml privacy-docs --out docs/privacy"
        )
        assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
            f"{fresh.name} is stale: peerbot --config peerbot.example.toml privacy-docs "
            "--out docs/privacy"
        )

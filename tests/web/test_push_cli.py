"""``peerbot web-push-keys``: the key file, its mode, and what it tells the operator."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.cli import main
from bot.web.push import PushSender


def test_writes_a_private_key_only_the_owner_can_read_and_prints_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no peerbot.toml here: the command needs none
    out = tmp_path / "etc" / "peerbot"

    assert main(["web-push-keys", "--out", str(out), "--subject", "mailto:it@sind.dk"]) == 0

    key = out / "vapid_private.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert f"public key: {PushSender(key, 'mailto:it@sind.dk').public_key}" in lines[1]
    assert lines[-3:] == [
        "[web_chat]",
        f'vapid_private_key_file = "{key}"',
        'vapid_subject = "mailto:it@sind.dk"',
    ]


def test_without_a_subject_it_prints_one_to_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web-push-keys", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith('vapid_subject = "mailto:') and "# replace" in last


def test_a_relative_folder_is_printed_as_an_absolute_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["web-push-keys", "--out", "keys"]) == 0
    expected = (tmp_path / "keys" / "vapid_private.pem").resolve()
    assert f'vapid_private_key_file = "{expected}"' in capsys.readouterr().out


def test_an_existing_key_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web-push-keys", "--out", str(tmp_path)]) == 0
    key = tmp_path / "vapid_private.pem"
    before = key.read_bytes()
    capsys.readouterr()

    assert main(["web-push-keys", "--out", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("error: ") and "exists" in err and len(err.splitlines()) == 1
    assert key.read_bytes() == before


def test_a_bad_subject_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "keys"
    assert main(["web-push-keys", "--out", str(out), "--subject", "it@sind.dk"]) == 1
    assert "web_chat.vapid_subject" in capsys.readouterr().err
    assert not out.exists()


def test_out_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["web-push-keys"])
    assert exited.value.code == 2

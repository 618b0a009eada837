from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from bot.errors import ConfigError

MINIMAL = {"coordinators": {"user_ids": [1001]}}


def test_defaults_are_danish_and_copenhagen(tmp_path: Path) -> None:
    config = parse_config(MINIMAL, {}, base_dir=tmp_path)
    assert config.default_language == "da"
    assert config.timezone.key == "Europe/Copenhagen"
    assert config.database == tmp_path / "peerbot.sqlite3"
    assert config.api_base_url == "https://api.telegram.org/bot"
    assert config.retention_days == 180
    assert any(r.phone == "112" for r in config.emergency)


def test_token_comes_from_environment_first(tmp_path: Path) -> None:
    data = {**MINIMAL, "telegram": {"token": "from-file"}}
    assert parse_config(data, {"PEERBOT_TOKEN": "from-env"}).token == "from-env"
    assert parse_config(data, {}).token == "from-file"


def test_every_problem_is_named_with_its_key() -> None:
    data = {
        "telegram": {"api_base_url": "ftp://x"},
        "locale": {"timezone": "Mars/Olympus", "default_language": "xx"},
        "office_hours": {"days": ["mon", "funday"], "start": "17:00", "end": "09:00"},
        "retention": {"days": -1},
        "emergency": [{"name": {"da": "x"}, "phone": 112}],
        "privacy": {"legal_basis": "vibes"},
        "limits": {"da": "kun dansk"},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, {})
    keys = {problem.split(":")[0] for problem in caught.value.problems}
    assert {
        "telegram.api_base_url",
        "locale.timezone",
        "locale.default_language",
        "office_hours.days",
        "office_hours.end",
        "retention.days",
        "emergency[0].phone",
        "emergency[0].name",
        "coordinators",
        "privacy.legal_basis",
        "limits",
    } <= keys


def test_wrong_types_are_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"coordinators": {"user_ids": ["abc"]}, "retention": {"days": True}}, {})
    assert any(p.startswith("coordinators.user_ids") for p in caught.value.problems)
    assert any(p.startswith("retention.days") for p in caught.value.problems)


def test_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parent.parent / "peerbot.example.toml"
    config = load_config(example, {"PEERBOT_TOKEN": "1:x"})
    assert config.organisation_name
    assert config.coordinator_ids


def _documented_keys(text: str) -> set[str]:
    """Every key in the example, commented-out ones (``# key = ...``, ``# [table]``) included."""
    import re
    import tomllib

    setting = re.compile(r"^#\s*(\[\[?[\w.]+\]\]?\s*$|\w+\s*=)")
    lines = [
        line.lstrip("#").lstrip() if setting.match(line) else line for line in text.splitlines()
    ]
    keys: set[str] = set()

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, list) and node and all(isinstance(n, dict) for n in node):
            node = {k: v for entry in node for k, v in entry.items()}
        if isinstance(node, dict):
            for key, value in node.items():
                keys.add(prefix + key)
                walk(value, prefix + key + ".")

    walk(tomllib.loads("\n".join(lines)), "")
    return keys


def test_example_file_documents_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import config as config_module

    read: set[str] = set()
    original = config_module._Reader.get

    def recording(self: object, key: str, kind: object, default: object) -> object:
        read.add(key)
        return original(self, key, kind, default)  # type: ignore[arg-type]

    monkeypatch.setattr(config_module._Reader, "get", recording)
    example = Path(__file__).resolve().parent.parent / "peerbot.example.toml"
    load_config(example, {"PEERBOT_TOKEN": "1:x"})
    parse_config(MINIMAL, {})
    assert "matching.same_peer_days" in read and "minors.services" in read
    missing = sorted(read - _documented_keys(example.read_text(encoding="utf-8")))
    assert missing == [], f"peerbot.example.toml lacks {missing}"


def test_bad_toml_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "peerbot.toml"
    path.write_text("[telegram\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert "not valid TOML" in caught.value.problems[0]


def test_stale_emergency_lines_are_found_by_date() -> None:
    from datetime import date

    # Nothing shipped is verified: every line is warned about from the start.
    config = parse_config(MINIMAL, {})
    # So are the default "someone to talk to" lines.
    assert config.stale_emergency_lines(date(2027, 1, 1)) == [
        'emergency "112" (112): no verified date',
        'emergency "livslinien" (70 201 201): no verified date',
        'emergency "laegevagt" (Your own doctor, or your region\'s out-of-hours doctor when '
        "they are closed): no verified date",
        'emergency "psykiatrisk_akutmodtagelse" (Psychiatric emergency department): '
        "no verified date",
        "minors.services[0] (116 111): no verified date",
        "minors.services[1] (headspace Denmark (ages 12-25): chat and counselling at "
        "headspace.dk): no verified date",
        "someone_to_talk_to[0] (70 23 27 50): no verified date",
        "someone_to_talk_to[1] (39 25 25 25): no verified date",
        "someone_to_talk_to[2] (headspace (ages 12-25): chat and talks at headspace.dk): "
        "no verified date",
    ]
    checked = {
        **MINIMAL,
        "emergency": {
            "lines": [{"key": k, "verified": date(2026, 12, 1)} for k in ("112", "livslinien")]
        },
    }
    config = parse_config(checked, {})
    assert config.stale_emergency_lines(date(2027, 1, 1))[0].startswith('emergency "laegevagt"')
    stale = config.stale_emergency_lines(date(2027, 7, 1))
    assert len(stale) == len(config.emergency) + len(config.youth_services) + len(config.talk_lines)
    assert stale[0] == 'emergency "112" (112): last verified 2026-12-01, more than 6 months ago'


@pytest.mark.parametrize(
    ("listen", "allowed"),
    [
        ("127.0.0.1:9108", True),
        ("[::1]:9108", True),
        ("localhost:9108", True),
        ("0.0.0.0:9108", False),
        ("192.168.1.10:9108", False),
        ("[::]:9108", False),
        ("metrics.example.org:9108", False),
    ],
)
def test_health_listener_must_be_loopback_unless_allowed(listen: str, allowed: bool) -> None:
    data = {**MINIMAL, "health": {"listen": listen}}
    if allowed:
        assert parse_config(data, {}).health_listen == listen
    else:
        with pytest.raises(ConfigError) as caught:
            parse_config(data, {})
        assert caught.value.problems[0].startswith("health.listen: not a loopback address")
        opened = {**MINIMAL, "health": {"listen": listen, "allow_public": True}}
        assert parse_config(opened, {}).health_listen == listen


def test_check_config_refuses_a_public_health_listener(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PEERBOT_TOKEN", "1:x")
    path = tmp_path / "peerbot.toml"
    path.write_text('[coordinators]\nuser_ids = [1]\n[health]\nlisten = "0.0.0.0:9108"\n')
    assert main(["--config", str(path), "check-config"]) == 1
    assert "error: health.listen: not a loopback address" in capsys.readouterr().err
    path.write_text(path.read_text() + "allow_public = true\n")
    assert main(["--config", str(path), "check-config"]) == 0

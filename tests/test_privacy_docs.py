from dataclasses import replace
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram
from bot.i18n import LANGUAGES, Translator
from bot.privacy_docs import record_of_processing, write_documents
from bot.storage.inventory import INVENTORY
from tests.helpers.harness import Harness, make_config


async def test_documents_cover_every_inventory_entry_in_both_languages(
    harness: Harness, tmp_path: Path
) -> None:
    written = write_documents(harness.rt, tmp_path / "docs")
    assert len(written) == 3 * len(LANGUAGES)
    for language in LANGUAGES:
        record = (tmp_path / "docs" / f"record-of-processing.{language}.md").read_text()
        for table in INVENTORY:
            assert f"`{table.name}`" in record
            for column in table.columns:
                assert f"`{column.name}`" in record, (language, table.name, column.name)
        assert "Peer-støtte Test" in record
        assert "Telegram" in (tmp_path / "docs" / f"impact-assessment.{language}.md").read_text()
    danish = (tmp_path / "docs" / "privacy-notice.da.md").read_text()
    assert "dataansvarlig" in danish


@pytest.mark.parametrize("basis", ["consent", "public_task"])
def test_records_name_telegrams_controller_the_danish_act_and_the_rights_of_the_basis(
    tmp_path: Path, basis: str
) -> None:
    config = replace(make_config(tmp_path), legal_basis=basis)
    for language in LANGUAGES:
        record = record_of_processing(Translator(language, config.timezone), config)
        # As Telegram's own privacy policy (telegram.org/privacy, 1.4) names it.
        assert "Telegram Messenger Inc." in record and "FZ-LLC" not in record
        assert "telegram.org/privacy" in record
        assert "databeskyttelsesloven" in record and "GDPR" in record
        for article in ("15", "16", "17", "18", "77"):
            assert f"{article})" in record or f"{article}," in record, (language, article)
        objection = "(Art. 21)" if language == "en" else "(art. 21)"
        withdrawal = "(Art. 7(3))" if language == "en" else "(art. 7, stk. 3)"
        assert (objection in record) == (basis == "public_task"), language
        assert (withdrawal in record) == (basis == "consent"), language


async def test_with_the_web_chat_on_its_own_privacy_notice_is_written_too(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    """The notice a web citizen reads (/privacy there) is one the DPO signs as well."""
    config = make_config(tmp_path, {"web_chat": {"listen": "127.0.0.1:0"}})
    h = Harness(config, fake, clock)
    await h.start()
    try:
        written = write_documents(h.rt, tmp_path / "docs")
    finally:
        await h.stop()
    assert len(written) == 4 * len(LANGUAGES)
    web = (tmp_path / "docs" / "privacy-notice-web.en.md").read_text()
    assert web.startswith("# Privacy notice for the web chat")
    assert "In the web chat we also keep this conversation itself" in web
    assert "30 days" in web and "ordinary Telegram cloud chat" not in web
    telegram = (tmp_path / "docs" / "privacy-notice.en.md").read_text()
    assert "ordinary Telegram cloud chat" in telegram and "web chat" not in telegram
    danish = (tmp_path / "docs" / "privacy-notice-web.da.md").read_text()
    assert "Glem denne enhed" in danish

from pathlib import Path

from bot.i18n import LANGUAGES
from bot.privacy_docs import write_documents
from bot.storage.inventory import INVENTORY
from tests.helpers.harness import Harness


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

from pathlib import Path

from bot.storage import Database
from bot.storage.inventory import INVENTORY, Category, described_columns


async def test_inventory_describes_exactly_the_schema(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.sqlite3")
    tables = [
        row[0] for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    schema = {
        table: {row[1] for row in await db.fetchall(f"PRAGMA table_info({table})")}
        for table in tables
    }
    await db.close()
    assert described_columns() == schema


def test_every_table_says_why_how_long_and_who() -> None:
    for table in INVENTORY:
        assert table.purpose and table.retention and table.seen_by, table.name
        assert all(isinstance(column.category, Category) for column in table.columns)

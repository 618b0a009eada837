"""Citizens' requests for a peer, from the intake draft to closing."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Request, RequestStatus
from bot.storage.database import Database, Row, Transaction

DRAFT_FIELDS = ("age_band", "topic", "language", "contact_form", "times", "note")


OPEN = (RequestStatus.DRAFT, RequestStatus.WAITING, RequestStatus.ACTIVE)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _request(row: Row) -> Request:
    return Request(
        id=row["id"],
        citizen_id=row["citizen_id"],
        status=RequestStatus(row["status"]),
        step=row["step"],
        topic=row["topic"],
        language=row["language"],
        contact_form=row["contact_form"],
        times=row["times"],
        note=row["note"],
        created_at=datetime.fromisoformat(row["created_at"]),
        submitted_at=_dt(row["submitted_at"]),
        unanswered_at=_dt(row["unanswered_at"]),
        preferred_peer_id=row["preferred_peer_id"],
        requeued_at=_dt(row["requeued_at"]),
        age_band=row["age_band"],
    )


async def by_id(db: Database | Transaction, request_id: int) -> Request | None:
    row = await db.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
    return _request(row) if row else None


async def open_for(db: Database | Transaction, citizen_id: int) -> Request | None:
    row = await db.fetchone(
        "SELECT * FROM requests WHERE citizen_id = ? AND status IN ('draft', 'waiting', 'active')",
        (citizen_id,),
    )
    return _request(row) if row else None


async def create_draft(
    tx: Transaction, citizen_id: int, step: str, now: datetime, age_band: str | None = None
) -> int:
    return await tx.execute(
        "INSERT INTO requests (citizen_id, status, step, age_band, created_at)"
        " VALUES (?, 'draft', ?, ?, ?)",
        (citizen_id, step, age_band, now.isoformat()),
    )


async def update_draft(
    db: Database, request_id: int, step: str, values: dict[str, str | None]
) -> None:
    """Store one intake answer and the step reached, so a restart resumes right here."""
    columns = [name for name in values if name in DRAFT_FIELDS]
    assignments = "".join(f", {name} = ?" for name in columns)
    await db.execute(
        f"UPDATE requests SET step = ?{assignments} WHERE id = ? AND status = 'draft'",
        (step, *(values[name] for name in columns), request_id),
    )


async def submit(tx: Transaction, request_id: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE requests SET status = 'waiting', step = NULL, submitted_at = ?"
            " WHERE id = ? AND status = 'draft'",
            (now.isoformat(), request_id),
        )
    )


async def set_status(
    tx: Transaction,
    request_id: int,
    status: RequestStatus,
    now: datetime,
    *,
    expected: tuple[RequestStatus, ...],
    reason: str | None = None,
) -> bool:
    """Move a request on only from an expected status (a stale button changes nothing)."""
    closing = status in (RequestStatus.CLOSED, RequestStatus.CANCELLED)
    marks = ", ".join("?" for _ in expected)
    return bool(
        await tx.execute_rowcount(
            f"UPDATE requests SET status = ?, closed_at = ?, close_reason = ?"
            f" WHERE id = ? AND status IN ({marks})",
            (
                status.value,
                now.isoformat() if closing else None,
                reason,
                request_id,
                *(s.value for s in expected),
            ),
        )
    )


async def requeue(tx: Transaction, request_id: int, now: datetime) -> bool:
    """An active request goes back to matching (its peer stopped); the waiting clock restarts."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE requests SET status = 'waiting', requeued_at = ?, unanswered_at = NULL"
            " WHERE id = ? AND status = 'active'",
            (now.isoformat(), request_id),
        )
    )


async def waiting(db: Database | Transaction) -> list[Request]:
    rows = await db.fetchall(
        "SELECT * FROM requests WHERE status = 'waiting' ORDER BY submitted_at, id"
    )
    return [_request(row) for row in rows]


async def waiting_without_offer(db: Database | Transaction) -> list[Request]:
    rows = await db.fetchall(
        "SELECT * FROM requests r WHERE status = 'waiting' AND NOT EXISTS"
        " (SELECT 1 FROM offers o WHERE o.request_id = r.id AND o.status = 'pending')"
        " ORDER BY submitted_at, id"
    )
    return [_request(row) for row in rows]


async def mark_unanswered(tx: Transaction, request_id: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE requests SET unanswered_at = ? WHERE id = ? AND unanswered_at IS NULL"
            " AND status = 'waiting'",
            (now.isoformat(), request_id),
        )
    )


async def drafts(db: Database) -> list[tuple[int, str]]:
    """(citizen telegram id, step) of every unfinished intake, to resume conversations."""
    rows = await db.fetchall(
        "SELECT u.telegram_id, r.step FROM requests r JOIN users u ON u.id = r.citizen_id"
        " WHERE r.status = 'draft' AND r.step IS NOT NULL"
    )
    return [(row[0], row[1]) for row in rows]


async def open_requests(db: Database) -> list[Request]:
    rows = await db.fetchall(
        "SELECT * FROM requests WHERE status IN ('waiting', 'active') ORDER BY created_at"
    )
    return [_request(row) for row in rows]


async def first_contact_times(
    db: Database | Transaction, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(sent, first contact) of requests that found a peer since `since`, for honest waiting."""
    rows = await db.fetchall(
        "SELECT r.submitted_at, MIN(c.started_at) FROM requests r"
        " JOIN contacts c ON c.request_id = r.id AND c.kind = 'peer'"
        " WHERE r.submitted_at IS NOT NULL AND c.started_at >= ? GROUP BY r.id",
        (since.isoformat(),),
    )
    return [(datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])) for row in rows]


async def set_preferred_peer(db: Database | Transaction, request_id: int, peer_id: int) -> None:
    await db.execute(
        "UPDATE requests SET preferred_peer_id = ? WHERE id = ? AND status = 'draft'",
        (peer_id, request_id),
    )


async def delete_draft(tx: Transaction, request_id: int) -> None:
    await tx.execute("DELETE FROM requests WHERE id = ? AND status = 'draft'", (request_id,))

"""Administrators manage staff roles: /roles, /addcoordinator, /removecoordinator, /addadmin,
/removeadmin. Everyone else gets the ordinary help; every change is in the audit trail."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.domain import WEB_CHAT_BASE, StaffRole
from bot.services import roles
from bot.services.roles import Change
from handlers import common
from handlers.base import Context, Turn, begin
from handlers.menus import sync_menu

log = logging.getLogger(__name__)

COMMANDS = {
    "addcoordinator": (StaffRole.COORDINATOR, True),
    "removecoordinator": (StaffRole.COORDINATOR, False),
    "addadmin": (StaffRole.ADMINISTRATOR, True),
    "removeadmin": (StaffRole.ADMINISTRATOR, False),
}


async def _administrator(update: Update, context: Context) -> Turn | None:
    turn = await begin(update, context)
    if turn.person.is_administrator:
        return turn
    log.info("refused administrator command (update %s)", update.update_id)
    await common.help_command(update, context)
    return None


async def roles_command(update: Update, context: Context) -> None:
    """Lists administrators and coordinators, saying which come from the configuration file."""
    turn = await _administrator(update, context)
    if turn is None:
        return
    t, staff = turn.t, turn.rt.roles
    configured = t._("(configuration file, cannot be removed here)")
    lines = [t._("Administrators:")]
    lines += [f"• {i} {configured}" for i in sorted(staff.config_administrators)]
    lines += [f"• {i}" for i in sorted(staff.administrators - set(staff.config_administrators))]
    lines += ["", t._("Coordinators:")]
    lines += [
        f"• {i} {configured}" for i in sorted(staff.config_coordinators | staff.config_backups)
    ]
    lines += [
        f"• {i}"
        for i in sorted(staff.coordinators - set(staff.config_coordinators | staff.config_backups))
    ]
    lines += [
        "",
        t._(
            "/addcoordinator <id>, /removecoordinator <id>, /addadmin <id>, /removeadmin <id>. "
            "The id is the person's numeric Telegram id."
        ),
    ]
    await context.bot.send_message(turn.chat_id, "\n".join(lines))


async def change_command(update: Update, context: Context) -> None:
    """Adds or removes a coordinator or an administrator by Telegram id."""
    turn = await _administrator(update, context)
    if turn is None or update.effective_message is None:
        return
    t = turn.t
    name = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]
    role, adding = COMMANDS[name]
    raw = (context.args or [""])[0]
    if len(context.args or []) == 1 and raw.isascii() and raw.isdigit() and int(raw) >= MAX_ID:
        await context.bot.send_message(
            turn.chat_id,
            t._(
                "{id} is too large to be a Telegram id. Please check the number.",
                id=raw,
            ),
        )
        return
    if len(context.args or []) != 1 or not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        await context.bot.send_message(
            turn.chat_id,
            t._(
                "Please write the numeric Telegram id, like this: /{command} 123456789",
                command=name,
            ),
        )
        return
    target = int(raw)
    change = (
        await roles.add(turn.rt, turn.person.telegram_id, target, role)
        if adding
        else await roles.remove(turn.rt, turn.person.telegram_id, target, role)
    )
    answer = _answer(turn, change, role, target)
    if change in (Change.ADDED, Change.REMOVED):
        await sync_menu(context.bot, turn.rt, target)
    if (
        change is Change.REMOVED
        and role is StaffRole.COORDINATOR
        and turn.rt.roles.coordinator_group is not None
    ):
        answer += "\n" + t._(
            "Anyone in the coordinator group can still act as a coordinator there: if they are "
            "a member, remove them from the group in Telegram too."
        )
    await context.bot.send_message(turn.chat_id, answer)


# Telegram ids have at most 52 significant bits; from there on are the web chat's own ids
# (`bot.domain.WEB_CHAT_BASE`), which must never become staff.
MAX_ID = WEB_CHAT_BASE


def _answer(turn: Turn, change: Change, role: StaffRole, target: int) -> str:
    t = turn.t
    coordinator = role is StaffRole.COORDINATOR
    answers = {
        Change.ADDED: t._("{id} is now a coordinator.", id=target)
        if coordinator
        else t._("{id} is now an administrator.", id=target),
        Change.ALREADY: t._("{id} is already a coordinator.", id=target)
        if coordinator
        else t._("{id} is already an administrator.", id=target),
        Change.REMOVED: t._("{id} is no longer a coordinator.", id=target)
        if coordinator
        else t._("{id} is no longer an administrator.", id=target),
        Change.NOT_FOUND: t._("{id} is not a coordinator added here.", id=target)
        if coordinator
        else t._("{id} is not an administrator added here.", id=target),
        Change.CONFIGURED: t._(
            "{id} is set in the configuration file and cannot be removed through the bot. "
            "Remove the id from peerbot.toml and restart the bot.",
            id=target,
        ),
        Change.LAST_ADMINISTRATOR: t._(
            "{id} is the last administrator and cannot be removed. Add another administrator "
            "first.",
            id=target,
        ),
        Change.NOT_ALLOWED: t._("Only administrators can change roles."),
    }
    return answers[change]


def register(application: Application) -> None:
    application.add_handler(CommandHandler("roles", roles_command))
    application.add_handler(CommandHandler(list(COMMANDS), change_command))

"""Coordinators: anonymous statistics for a period, as text and a weekly chart.

/stats                          the last 30 days
/stats 2026-10-01 2026-10-31    a period (whole local days)
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.errors import UserInputError
from bot.services import communities, statistics
from handlers.base import Context, coordinator_action
from handlers.staff import coordinator_turn


@coordinator_action
async def stats_command(update: Update, context: Context) -> None:
    """Sends the figures for the period and a chart of weekly requests and waiting times."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    t, rt = turn.t, turn.rt
    try:
        period = statistics.parse_period(context.args or [], rt.now(), rt.config.timezone)
    except UserInputError as exc:
        await context.bot.send_message(turn.chat_id, t._(exc.message))
        return
    result = await statistics.report(rt, period)
    bridges = communities.render(t, rt.config, await communities.report(rt, period))
    await context.bot.send_message(turn.chat_id, statistics.render(t, result) + "\n" + bridges)
    # Drawing takes a moment of CPU: off the event loop, so urgent updates never wait for it.
    png = await asyncio.to_thread(statistics.chart, t, result)
    await context.bot.send_photo(
        turn.chat_id,
        photo=png,
        filename="stats.png",
        caption=t._("Requests per week and the median time to first contact"),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("stats", stats_command))

"""Where the bot meets Telegram: an update's way in, and what the bot notes of its way out.

    updates.py      fetch (getUpdates) -> inbox -> per-chat order, urgent first -> PTB -> done
    webhook.py      the webhook's way into the same inbox (200 only once committed)
    sent.py         a `BaseRequest` wrapper noting sent message ids (/forget) and contact (health)
    persistence.py  where each unfinished dialogue stands, read back from the services' rows

Only python-telegram-bot's public API is used here (``Application.process_update``,
``BaseRequest``, ``BasePersistence``), so a patch release of PTB cannot break it silently. The
package is ``bot.telegram``; absolute imports keep ``import telegram`` meaning the library.
"""

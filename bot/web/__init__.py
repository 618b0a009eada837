"""The web chat: a second door for citizens, beside Telegram."""

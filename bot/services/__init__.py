"""Domain logic as plain async functions over storage; no Telegram types."""

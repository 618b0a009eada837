"""Journeys: people using the bot through the real Application and the strict fake Bot API."""

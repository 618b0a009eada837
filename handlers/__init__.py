"""Thin Telegram adapters: parse the update, check who acts, call a service, render the answer."""

"""Danger to life, without Telegram: detection, urgent help, escalation, alarms."""

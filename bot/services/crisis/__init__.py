"""Danger to life: crisis words detected (phrase lists and a small wording model), the verdict
kept per update, urgent help, escalation to coordinators with its follow-ups, and the e-mail
alarm when Telegram reaches nobody."""

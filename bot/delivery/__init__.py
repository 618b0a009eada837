"""Getting messages out: the outbox dispatcher and its worker, notices to other people, and the
e-mail alarm beyond Telegram. Everything sent is committed first and survives a restart."""

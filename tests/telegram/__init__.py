"""The update path, webhook aside: per-chat order, the urgent lane, the inbox, sent-message ids."""

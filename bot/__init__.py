"""Peer contact bot: citizens ask for a volunteer peer, coordinators catch what is urgent."""

import os

# Opt in to PTB's future behaviour: time spans such as RetryAfter.retry_after are timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"

"""Peer contact bot: citizens ask for a volunteer peer, coordinators catch what is urgent."""

__version__ = "0.1.0"

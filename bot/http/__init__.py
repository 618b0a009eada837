"""The HTTP listeners, all on aiohttp's server: the hardened base, and health and metrics."""

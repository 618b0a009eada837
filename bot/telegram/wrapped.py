"""A `BaseRequest` in front of another one: PTB's public network interface, layered.

The bot's requests pass through layers (`bot.web.transport.WebRouting` answers web chats'
calls, `bot.telegram.sent.RecordingRequest` notes sent message ids); each subclass overrides
`handle` and calls `pass_on` for what it leaves to the layer below.
"""

from __future__ import annotations

from typing import Any

from telegram.request import BaseRequest, RequestData

Timeouts = dict[str, Any]


class WrappedRequest(BaseRequest):
    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeouts = {
            "read_timeout": read_timeout,
            "write_timeout": write_timeout,
            "connect_timeout": connect_timeout,
            "pool_timeout": pool_timeout,
        }
        return await self.handle(url, method, request_data, timeouts)

    async def handle(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        return await self.pass_on(url, method, request_data, timeouts)

    async def pass_on(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        return await self.inner.do_request(url, method, request_data, **timeouts)

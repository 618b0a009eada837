"""The sandbox serves the web chat beside the phones: a web citizen's request reaches the
sandbox's peer, who cannot tell it from a Telegram citizen's."""

from __future__ import annotations

import aiohttp

from tests.helpers.flows import INTAKE_ANSWERS
from tests.sandbox.conftest import Running, eventually, texts


async def test_a_web_citizen_in_the_sandbox_reaches_the_peer(running: Running) -> None:
    base = running.url.rstrip("/") + "/chat"
    async with aiohttp.ClientSession() as http:
        async with http.get(running.url) as page:
            assert 'id="webchat"' in await page.text()
            assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
        async with http.get(base + "/") as chat:
            assert chat.status == 200
            assert "frame-ancestors 'self'" in chat.headers["Content-Security-Policy"]
        async with http.post(base + "/api/session", json={"language": "en"}) as created:
            secret = (await created.json())["secret"]
        auth = {"Authorization": f"Bearer {secret}"}

        seen = {"seq": 0, "messages": {}}

        async def button(label: str) -> dict:
            """Wait (long polls) until the bot shows a button with `label`."""
            for _ in range(4):
                for message in sorted(seen["messages"].values(), key=lambda m: -m["id"]):
                    for row in message["buttons"]:
                        for found in row:
                            if label in found["text"] and "data" in found:
                                return {"message_id": message["id"], "data": found["data"]}
                query = {"after": str(seen["seq"]), "wait": "1"}
                async with http.get(base + "/api/messages", params=query, headers=auth) as got:
                    body = await got.json()
                    assert got.status == 200, body
                seen["seq"] = body["seq"]
                seen["messages"].update({m["id"]: m for m in body["messages"]})
            raise AssertionError(f"no button {label!r}")

        async with http.post(base + "/api/send", json={"text": "/start"}, headers=auth) as sent:
            assert sent.status == 202
        sandbox = running.sandbox
        steps = ("Talk to a peer", "18 or over", "I agree", *INTAKE_ANSWERS, "Skip", "Send request")
        for label in steps:
            body = await button(label)
            async with http.post(base + "/api/press", json=body, headers=auth) as pressed:
                assert pressed.status == 204, label
        await eventually(sandbox, lambda: any("Angst" in t for t in texts(sandbox, "peer")))

"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def parsed(raw: bytes) -> EmailMessage:
    """A mail as its reader's client sees it: headers and parts."""
    return message_from_bytes(raw, policy=policy.default)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """Accepts every mail except to addresses starting with "nobody" (550, unknown mailbox),
    each after `delay` seconds (a slow server)."""

    def __init__(self, port: int | None = None, pipelining: bool = True, delay: float = 0) -> None:
        self.port = port or free_port()
        self.pipelining = pipelining
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.connections = 0
        self._lock = threading.Lock()
        # While set, the server leaves RCPT unanswered (a server that hangs mid-transaction).
        self.stalled = threading.Event()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} within {timeout}s; got {self.messages}")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        while self.stalled.is_set():
            await asyncio.sleep(0.02)
        if address.startswith("nobody"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delay)
        if b"X-Refuse: yes" in envelope.content:
            return "554 5.6.0 Message refused"
        message = parsed(envelope.content)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

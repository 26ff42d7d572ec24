"""The local SMTP sink of the embedded run: `python -m workers.mail_sink`.

Listens on SMTP_URL's host and port (loopback) and keeps every mail in the dev inbox.
"""

from __future__ import annotations

import signal
import threading
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

from onboarding.mail import dev_inbox
from onboarding.settings import Settings, get_settings


class InboxHandler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        dev_inbox.store(envelope.original_content or envelope.content, self.settings)
        return "250 Message accepted for delivery"


def main() -> None:
    settings = get_settings()
    url = urlsplit(settings.smtp_url)
    controller = Controller(
        InboxHandler(settings), hostname=url.hostname or "127.0.0.1", port=url.port or 8025
    )
    controller.start()
    print(
        f"mail sink on {url.hostname}:{url.port}, inbox in {dev_inbox.folder(settings)}", flush=True
    )
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()

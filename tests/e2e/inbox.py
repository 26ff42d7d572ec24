"""Reading mails as a person of the embedded system does: in the dev inbox at /dev/mail."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page

from tests.e2e.browser import Counted, Keyboard, Mouse, Steps
from tests.e2e.system import System

WAIT_FOR_MAIL = 60


class Inbox:
    def __init__(self, system: System, steps: Steps) -> None:
        self.system, self.steps = system, steps

    def open_mail(self, page: Page, act: Keyboard | Mouse | Counted, to: str, subject: str) -> None:
        """Open the newest mail to `to` whose subject has `subject`, waiting for delivery."""
        pattern = re.compile(re.escape(subject), re.IGNORECASE)
        deadline = time.monotonic() + WAIT_FOR_MAIL
        while True:
            page.goto(f"{self.system.app}/dev/mail")
            rows = page.get_by_role("row").filter(has_text=to).filter(has_text=pattern)
            entries = rows.get_by_role("link")
            if entries.count():
                break
            assert time.monotonic() < deadline, f"no mail '{subject}' to {to} in the inbox"
            time.sleep(1)
        self.steps.check(page, "inbox")
        act.click(entries.first)
        page.wait_for_url(re.compile(r"/dev/mail/[^/]+$"))
        self.steps.check(page, "mail")

    def button(self, page: Page, name: str) -> Locator:
        """The link `name` in the open mail (shown in the page or in a frame of it)."""
        for scope in (page, page.frame_locator("iframe").first):
            links = scope.get_by_role("link", name=name)
            if links.count():
                return links.first
        raise AssertionError(f"no link '{name}' in the mail at {page.url}")

    def follow(
        self, page: Page, act: Keyboard | Mouse | Counted, *, to: str, subject: str, link: str
    ) -> None:
        """Open the mail and follow its button `link` in the same tab."""
        self.open_mail(page, act, to, subject)
        button = self.button(page, link)
        href = button.get_attribute("href")
        assert href and href.startswith("http"), f"the mail's link is not absolute: {href}"
        if button.get_attribute("target"):
            page.goto(href)  # a link meant for a new tab: open it here instead
        else:
            act.click(button)
        page.wait_for_url(re.compile(r"^(?!.*/dev/mail)"))

    def href(self, page: Page, *, to: str, subject: str, link: str) -> str:
        self.open_mail(page, Mouse(page), to, subject)
        href = self.button(page, link).get_attribute("href")
        assert href
        return href

    def count(self, page: Page, to: str) -> int:
        """How many mails to `to` the inbox holds."""
        page.goto(f"{self.system.app}/dev/mail")
        return page.get_by_role("row").filter(has_text=to).count()

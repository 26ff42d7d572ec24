"""Driving Debian's Chromium: page checks (axe-core, 320 px, screenshots) and a keyboard-only
way to act on a page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDE = {"width": 1024, "height": 800}
NARROW = 320

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
  }));
}"""

# Wider than the viewport at 320 px, not counting content that scrolls inside its own box.
_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter(el => {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) return false;
      for (let up = el.parentElement; up; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (["auto", "scroll"].includes(style.overflowX)) return false;
      }
      return true;
    })
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + " " + el.textContent.trim().slice(0, 40));
}"""


def accessibility_problems(page: Page) -> list[dict[str, object]]:
    """Serious or critical axe-core violations on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP stays as it is.
        page.evaluate(AXE.read_text())
    violations = page.evaluate(_RUN_AXE)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def overflow_at_320(page: Page) -> list[str]:
    """Elements that stick out of a 320 px wide viewport."""
    page.set_viewport_size({"width": NARROW, "height": 800})
    try:
        return page.evaluate(_OVERFLOW)
    finally:
        page.set_viewport_size(WIDE)


@dataclass
class Steps:
    """Each step of a journey: checked for accessibility and at 320 px, and photographed."""

    prefix: str
    # The steps to photograph (None: every one); pages seen in another journey are not kept twice.
    photograph: frozenset[str] | None = None
    count: int = 0
    visited: list[str] = field(default_factory=list)

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        self.count += 1
        label = f"{self.prefix}{self.count:02d}-{name}"
        self.visited.append(f"{label}: {page.url}")
        if self.photograph is None or name in self.photograph:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=True)
        problems = accessibility_problems(page)
        assert not problems, f"{label} ({page.url}):\n{json.dumps(problems, indent=2)}"
        assert not overflow_at_320(page), f"{label} is wider than 320 px: {overflow_at_320(page)}"


class Keyboard:
    """Acts only with the keyboard: Tab to an element, then Enter, Space or typing."""

    def __init__(self, page: Page, limit: int = 80) -> None:
        self.page, self.limit = page, limit

    def focus(self, target: Locator) -> None:
        target.wait_for()
        for _ in range(self.limit):
            if target.evaluate("el => el === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{target} cannot be reached with the Tab key")

    def click(self, target: Locator) -> None:
        self.focus(target)
        self.page.keyboard.press("Enter")

    def fill(self, target: Locator, value: str) -> None:
        self.focus(target)
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(value)

    def check(self, target: Locator) -> None:
        self.focus(target)
        if not target.is_checked():
            self.page.keyboard.press("Space")

    def select(self, target: Locator, label: str) -> None:
        """Choose an option of a <select> by typing its label, as a keyboard user does."""
        self.focus(target)
        self.page.keyboard.type(label)


class Mouse:
    """Acts as most people do: clicks and fills."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def click(self, target: Locator) -> None:
        target.click()

    def fill(self, target: Locator, value: str) -> None:
        target.fill(value)

    def check(self, target: Locator) -> None:
        target.check()

    def select(self, target: Locator, label: str) -> None:
        target.select_option(label=label)


@dataclass
class Effort:
    """What a person spends on a journey: the pages their browser loads (the mail client's
    not counted), their clicks (or Enter and Space with the keyboard) and the fields they
    type in."""

    page_loads: int = 0
    clicks: int = 0
    fields_typed: int = 0

    def watch(self, page: Page) -> None:
        page.on("load", self._loaded)

    def _loaded(self, page: Page) -> None:
        if "/dev/mail" not in page.url:
            self.page_loads += 1


class Counted:
    """A way of acting (Mouse or Keyboard) whose every action is added to an Effort."""

    def __init__(self, act: Keyboard | Mouse, effort: Effort) -> None:
        self.act, self.effort = act, effort

    def click(self, target: Locator) -> None:
        self.effort.clicks += 1
        self.act.click(target)

    def check(self, target: Locator) -> None:
        self.effort.clicks += 1
        self.act.check(target)

    def select(self, target: Locator, label: str) -> None:
        self.effort.clicks += 1
        self.act.select(target, label)

    def fill(self, target: Locator, value: str) -> None:
        self.effort.fields_typed += 1
        self.act.fill(target, value)

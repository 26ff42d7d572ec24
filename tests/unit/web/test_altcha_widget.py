"""Connect serves the ALTCHA widget that package.json names: its copy in
web/connect/static/altcha/ is byte for byte the npm package's (`make altcha-widget` copies it)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVED = ROOT / "web" / "connect" / "static" / "altcha"
PACKAGE = ROOT / "node_modules" / "altcha"
FROM_THE_PACKAGE = {
    "altcha.min.js": "dist/external/altcha.min.js",
    "altcha.css": "dist/external/altcha.css",
    "sha.js": "dist/workers/sha.js",
    "en.js": "dist/i18n/en.js",
    "nl.js": "dist/i18n/nl.js",
    "LICENSE.txt": "LICENSE.txt",
}


def test_every_served_file_comes_from_the_package():
    assert sorted(p.name for p in SERVED.iterdir()) == sorted(FROM_THE_PACKAGE)


@pytest.mark.parametrize(("served", "packaged"), sorted(FROM_THE_PACKAGE.items()))
def test_the_served_file_is_the_packages(served, packaged):
    assert (SERVED / served).read_bytes() == (PACKAGE / packaged).read_bytes()

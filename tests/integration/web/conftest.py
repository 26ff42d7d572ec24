"""The app under test without CSRF checks: these tests post forms directly."""

from __future__ import annotations

import pytest
from flask import Flask

from web import create_app


@pytest.fixture
def app(factory) -> Flask:
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})

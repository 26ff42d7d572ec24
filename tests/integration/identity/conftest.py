"""Connect's application on the test database, with a quick captcha."""

from __future__ import annotations

import pytest

from onboarding.settings import use_settings


@pytest.fixture
def connect_settings(settings):
    current = settings.with_overrides(altcha_max_number=500)
    use_settings(current)
    return current


@pytest.fixture
def connect_app(factory, connect_settings):
    from web import create_connect_app

    return create_connect_app()


@pytest.fixture
def client(connect_app):
    return connect_app.test_client()

"""/healthz and /readyz on the app and Connect: ready only while the database and the broker
answer."""

import pytest

from tests.mailbox import free_port
from web import create_app, create_connect_app
from workers.celery_app import app as celery_app

CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False}


@pytest.fixture(params=[create_app, create_connect_app], ids=["app", "connect"])
def client(request, factory):
    return request.param(CONFIG).test_client()


def test_both_applications_are_ready_while_database_and_broker_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": "ok", "broker": "ok"}


def test_an_application_whose_broker_is_down_is_alive_but_not_ready(client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "broker": "unavailable"}

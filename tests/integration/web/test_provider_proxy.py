"""The app reaches the identity provider through the proxy the environment names (unless
NO_PROXY exempts the provider), read when the app starts."""

from __future__ import annotations

from requests.utils import select_proxy

from web import create_app

PROXY = "http://proxy.internal:3128"


def provider_proxy(settings) -> str | None:
    """The proxy the app's requests to the provider's token endpoint go through."""
    client = create_app({"TESTING": True}, settings=settings).extensions["connect_client"]
    with client._get_session() as session:
        return select_proxy(f"{settings.oidc_issuer}/token", session.proxies)


def test_the_provider_is_reached_through_the_proxy_of_the_environment(settings, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert provider_proxy(settings) == PROXY


def test_a_provider_exempt_by_no_proxy_is_reached_directly(settings, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", settings.oidc_issuer.split("://", 1)[1].split(":")[0])
    assert provider_proxy(settings) is None

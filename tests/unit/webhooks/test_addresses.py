"""Where an organization's webhooks may go: public addresses only, unless allowed."""

from __future__ import annotations

import pytest

from onboarding.webhooks.addresses import RefusedDestination, check_destination


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
    ],
)
def test_loopback_private_and_link_local_addresses_are_refused(url):
    with pytest.raises(RefusedDestination, match="loopback or private"):
        check_destination(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://[::1]:9000/hook"])
def test_the_setting_allows_them_for_development_and_tests(url):
    check_destination(url, allow_private=True)


def test_a_public_address_is_allowed():
    check_destination("https://93.184.215.14/hook", allow_private=False)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "https:///nohost", "not a url"]
)
def test_only_http_and_https_urls_with_a_host_are_taken(url):
    with pytest.raises(RefusedDestination, match="https://"):
        check_destination(url, allow_private=True)


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(RefusedDestination, match="cannot be resolved"):
        check_destination("https://no-such-host.invalid/hook", allow_private=False)

"""Signed webhooks and journey references refuse anything forged, replayed or malformed."""

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from onboarding.journeys import refs
from onboarding.outbox import webhooks
from web.security import safe_next


def test_a_signed_body_verifies():
    body = b'{"type": "account.registered"}'
    webhooks.verify("s3cret", body, webhooks.sign("s3cret", body))


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=1,v1=00", "v1=abc", "t=notanumber,v1=abc"],
)
def test_a_missing_or_malformed_signature_is_refused(header):
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify("s3cret", b"{}", header)


def test_a_tampered_body_or_another_secret_is_refused():
    header = webhooks.sign("s3cret", b'{"a": 1}')
    with pytest.raises(webhooks.BadSignature, match="does not match"):
        webhooks.verify("s3cret", b'{"a": 2}', header)
    with pytest.raises(webhooks.BadSignature, match="does not match"):
        webhooks.verify("other", b'{"a": 1}', header)


def test_an_old_signature_is_refused_as_a_replay():
    header = webhooks.sign("s3cret", b"{}", timestamp=1_000_000)
    with pytest.raises(webhooks.BadSignature, match="window"):
        webhooks.verify("s3cret", b"{}", header, now=1_000_000 + 301)


def test_journey_references_round_trip_and_refuse_forgeries(settings):
    ref = refs.make_ref(42, settings)
    assert refs.read_ref(ref, settings) == 42
    assert refs.read_ref(ref[:-2] + "xx", settings) is None
    assert refs.read_ref("42", settings) is None
    assert refs.read_ref(None, settings) is None
    assert refs.read_ref("a" * 500, settings) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/measurements", "/measurements"),
        ("/settings/people?org=1", "/settings/people?org=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_redirect_targets_stay_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_standard_headers_verify_with_the_standardwebhooks_package_for_each_secret():
    first, second = webhooks.new_standard_secret(), webhooks.new_standard_secret()
    body = b'{"type": "journey.invited"}'
    headers = webhooks.standard_headers([first, second], "msg_1", body, datetime.now(UTC))
    assert headers["webhook-id"] == "msg_1"
    for secret in (first, second):
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_standard_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(first).verify(b'{"type": "journey.revoked"}', headers)

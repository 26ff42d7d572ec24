"""Connect's limits while their Redis is down: counted in the database, never a 500."""

from __future__ import annotations

import logging

from onboarding.settings import use_settings
from tests.helpers import activated_account, log_in_to_connect
from tests.redis_server import PrivateRedis


def test_with_redis_down_log_ins_answer_and_wrong_passwords_still_run_out(
    factory, connect_settings, caplog
):
    from web import create_connect_app

    redis = PrivateRedis().start()
    redis.stop()  # the limits' Redis is gone
    use_settings(connect_settings.with_overrides(redis_url=redis.url))
    activated_account(factory)
    limits = {"LIMIT_LOGIN_FAILURES_PER_ACCOUNT": "3 per minute"}
    with caplog.at_level(logging.WARNING, logger="onboarding.rate_limit_fallback"):
        first, second = (create_connect_app(limits).test_client() for _ in range(2))
        statuses = [log_in_to_connect(first, password="wrong password").status_code for _ in "abc"]
        # The counts are the database's, so another process sees them.
        throttled = log_in_to_connect(second)
    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert "rate-limit storage failed, counting in the database" in caplog.text

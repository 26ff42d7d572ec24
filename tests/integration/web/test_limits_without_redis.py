"""The app's API limits while their Redis is down: counted in the database, never a 500."""

from __future__ import annotations

from onboarding.settings import use_settings
from tests.redis_server import PrivateRedis
from web import create_app


def test_with_redis_down_the_api_answers_and_its_limit_still_holds(factory, settings):
    redis = PrivateRedis().start()
    redis.stop()
    use_settings(settings.with_overrides(redis_url=redis.url))
    client = create_app({"TESTING": True}).test_client()
    answers = [client.get("/api/funnel") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    remaining = [int(answer.headers["X-RateLimit-Remaining"]) for answer in answers]
    assert remaining[0] - remaining[2] == 2

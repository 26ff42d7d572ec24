"""Counters in Redis that count in the database while Redis is down, and in Redis again once it
answers."""

from __future__ import annotations

from onboarding import rate_limit_fallback
from onboarding.rate_limit_fallback import FallbackStorage, fallback_storage_uri
from onboarding.rate_limits import DatabaseStorage, database_storage_uri
from tests.redis_server import PrivateRedis


def test_counts_move_to_the_database_while_redis_is_down_and_back_when_it_answers(
    factory, settings, monkeypatch
):
    monkeypatch.setattr(rate_limit_fallback, "RETRY_AFTER", 0)  # try Redis at every hit
    redis = PrivateRedis().start()
    database = database_storage_uri(settings)
    storage = FallbackStorage(fallback_storage_uri(redis.url, database))
    try:
        assert [storage.incr("k", 60) for _ in range(2)] == [1, 2]
        redis.stop()
        assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
        assert DatabaseStorage(database).get("k") == 3
        redis.start()  # a fresh Redis: its counts start again
        assert storage.incr("k", 60) == 1
        assert storage.get("k") == 1
    finally:
        redis.stop()

"""The database storage of rate-limit counters: fixed windows, one count for every caller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from onboarding.rate_limit_fallback import FallbackStorage, fallback_storage_uri
from onboarding.rate_limits import DatabaseStorage, database_storage_uri, read_windows
from tests.redis_server import PrivateRedis


def test_a_window_counts_hits_until_it_ends(factory, settings):
    storage = DatabaseStorage(database_storage_uri(settings))
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    # A window that is over starts again at the next hit.
    assert storage.incr("gone", 0) == 1
    assert storage.incr("gone", 0) == 1
    assert storage.get("gone") == 0


def test_the_limiter_refuses_the_hit_beyond_the_limit_and_knows_when_it_resets(factory, settings):
    limiter = FixedWindowRateLimiter(DatabaseStorage(database_storage_uri(settings)))
    item = parse("2 per hour")
    assert [limiter.hit(item, "ada") for _ in range(3)] == [True, True, False]
    reset, remaining = limiter.get_window_stats(item, "ada")
    assert remaining == 0
    assert limiter.get_window_stats(item, "bob").remaining == 2
    assert reset > DatabaseStorage(database_storage_uri(settings)).get_expiry("nothing")


def test_concurrent_hits_are_each_counted_once(factory, settings):
    storage = DatabaseStorage(database_storage_uri(settings))
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = sorted(pool.map(lambda _: storage.incr("race", 60), range(20)))
    assert counts == list(range(1, 21))


def test_clearing_a_key_starts_it_again(factory, settings):
    storage = DatabaseStorage(database_storage_uri(settings))
    storage.incr("k", 60)
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()


def _windows_of_each(storage):
    return [(storage.get(key), storage.get_expiry(key)) for key in ("k", "other", "none")]


def _counted(storage):
    storage.incr("k", 60)
    storage.incr("k", 60)
    storage.incr("other", 3600)


def _same_windows(read, each):
    # The end of a window that has not begun is "now", read a moment apart.
    assert [count for count, _ in read] == [count for count, _ in each] == [2, 1, 0]
    for (_, end), (_, end_each) in zip(read, each, strict=True):
        assert abs(end - end_each) < 2


def test_the_windows_of_several_keys_read_together_are_those_read_one_by_one(factory, settings):
    for storage in (
        DatabaseStorage(database_storage_uri(settings)),
        storage_from_string("memory://"),
    ):
        _counted(storage)
        _same_windows(read_windows(storage, ["k", "other", "none"]), _windows_of_each(storage))


def test_windows_read_together_in_redis_or_in_the_database_while_it_is_down(factory, settings):
    redis = PrivateRedis().start()
    storage = FallbackStorage(fallback_storage_uri(redis.url, database_storage_uri(settings)))
    try:
        _counted(storage)
        _same_windows(read_windows(storage, ["k", "other", "none"]), _windows_of_each(storage))
        redis.stop()
        _counted(storage)
        _same_windows(read_windows(storage, ["k", "other", "none"]), _windows_of_each(storage))
    finally:
        redis.stop()

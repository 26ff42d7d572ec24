"""Rate-limit counters in Redis that fall back to the database while Redis does not answer.

A limit whose storage fails would otherwise fail its request (a 500 on every log-in while Redis
is down). The database counters (`onboarding.rate_limits`) are shared by every process too, so
the limits keep holding across workers during the outage; Redis is tried again every
`RETRY_AFTER` seconds, and its counts are used again as soon as it answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from limits.storage import Storage, storage_from_string

from onboarding.rate_limits import DatabaseStorage, read_windows

SCHEME = "fallback+onboarding"
RETRY_AFTER = 5.0

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def fallback_storage_uri(primary: str, fallback: str) -> str:
    """The storage URI of counters in `primary`, kept in `fallback` while it fails."""
    return f"{SCHEME}://?{urlencode({'primary': primary, 'fallback': fallback})}"


class FallbackStorage(Storage):
    """Counters in the primary storage, or in the database while the primary fails."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        query = parse_qs(urlsplit(uri).query)
        primary = storage_from_string(query["primary"][0], **options)
        if not isinstance(primary, Storage):
            raise TypeError(f"{query['primary'][0]} is not a storage for synchronous code")
        self.primary = primary
        self.fallback = DatabaseStorage(query["fallback"][0])
        self._primary_down_until = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self.fallback.base_exceptions

    def _call(self, method: str, *args: Any) -> Any:
        return self._on(lambda storage: getattr(storage, method)(*args))

    def _on(self, action: Callable[[Storage], _T]) -> _T:
        """`action` on the primary storage, or on the fallback while the primary fails."""
        if time.monotonic() >= self._primary_down_until:
            try:
                return action(self.primary)
            except self.primary.base_exceptions as error:
                log.warning(
                    "rate-limit storage failed, counting in the database",
                    extra={"error": repr(error), "retry_after_s": RETRY_AFTER},
                )
                self._primary_down_until = time.monotonic() + RETRY_AFTER
        return action(self.fallback)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._call("incr", key, expiry, amount))

    def get(self, key: str) -> int:
        return int(self._call("get", key))

    def get_expiry(self, key: str) -> float:
        return float(self._call("get_expiry", key))

    def windows(self, keys: list[str]) -> list[tuple[int, float]]:
        """`read_windows` of `keys`, where the counts are kept now."""
        return self._on(lambda storage: read_windows(storage, keys))

    def check(self) -> bool:
        return bool(self._call("check"))

    def reset(self) -> int | None:
        reset: int | None = self._call("reset")
        return reset

    def clear(self, key: str) -> None:
        self._call("clear", key)

"""The per-person rate limit: at most N questions per person in any sixty seconds.

N is `rate_limit_per_minute` in `slack.yaml` (see `policy.py`). The window
slides: a question counts until sixty seconds after it was asked. Only
questions the limiter let through count; people who have not asked for a
minute are forgotten. One limiter is shared by the bot's listener threads.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `per_minute` questions per person in any sixty seconds.

    >>> now = [0.0]
    >>> limiter = RateLimiter(2, clock=lambda: now[0])
    >>> limiter.wait("U1"), limiter.wait("U1"), limiter.wait("U1"), limiter.wait("U2")
    (0.0, 0.0, 60.0, 0.0)
    >>> now[0] = 45.0
    >>> limiter.wait("U1")
    15.0
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._asked: dict[str, deque] = {}
        self._lock = threading.Lock()

    def wait(self, user: str) -> float:
        """0 and the question counted, or the seconds until this person may ask again."""
        now = self._clock()
        with self._lock:
            for key in [k for k, times in self._asked.items() if not times or times[-1] <= now - 60]:
                del self._asked[key]
            times = self._asked.setdefault(user, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return times[0] + 60 - now
            times.append(now)
            return 0.0

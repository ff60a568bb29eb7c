import logging
import time


class OncePerInterval(logging.Filter):
    """Let one record through per interval and turn it into a warning.

    django-redis logs every cache call it swallows (with IGNORE_EXCEPTIONS), at
    ERROR with a traceback: with Redis down that is several lines per request.
    The site still works, so one warning a minute says all there is to say.
    """

    def __init__(self, seconds=60):
        super().__init__()
        self.seconds = seconds
        self.last_passed_at = None

    def filter(self, record):
        if getattr(record, "cache_unavailable_summary", False):
            # Another copy of this filter already summed it up: logging.config
            # adds a logger's filters again each time the configuration is applied.
            return True
        now = time.monotonic()
        if self.last_passed_at is not None and now - self.last_passed_at < self.seconds:
            return False
        self.last_passed_at = now
        reason = record.exc_info[1] if record.exc_info else record.getMessage()
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "Cache unavailable, serving pages uncached: %s", (reason,)
        record.exc_info = record.exc_text = None
        record.cache_unavailable_summary = True
        return True

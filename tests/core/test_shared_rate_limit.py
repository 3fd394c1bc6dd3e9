"""With COMPTOIR_REDIS_URL set, the public forms' rate limit counts in Redis, shared by every
web process, instead of once per process."""

import time
import uuid

import pytest
import redis
from django.core.cache import caches
from django.test import Client

from comptoir.core.form_abuse import sign_render_time

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_cache(settings):
    prefix = f"comptoir-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    # Changing CACHES resets Django's cache handler (its setting_changed receiver).
    assert caches["default"].__class__.__name__ == "RedisCache"
    yield prefix
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def test_sign_up_rate_limit_is_counted_in_the_shared_cache(redis_cache):
    client = Client()
    answers = [
        client.post(
            "/inscription/",
            {"email": f"p{n}@example.fr", "rendered_at": sign_render_time(time.time() - 30)},
            REMOTE_ADDR="203.0.113.8",
        ).status_code
        for n in range(6)
    ]
    assert answers == [302] * 5 + [429]
    # Another process sees the same count: it lives in Redis, not in this process.
    server = redis.Redis.from_url(REDIS_URL)
    counters = [key for key in server.scan_iter(f"{redis_cache}:*") if b"sign_up" in key]
    assert [int(server.get(key)) for key in counters] == [6]

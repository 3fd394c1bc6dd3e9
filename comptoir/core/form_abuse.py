"""Keep robots out of the public forms: a honeypot field, a time trap and a rate limit per IP.

No CAPTCHA: image and audio puzzles shut out blind, dyslexic and older customers (RGAA asks
for an alternative that is itself accessible), and a third-party one (reCAPTCHA, hCaptcha)
sends every visitor's IP to another company. The honeypot and the time trap stop the
form-filling robots that such pages attract, cost a human nothing, and the rate limit caps
what a determined sender can do from one address.
"""

import time
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

HONEYPOT_FIELD = "website"
RENDERED_AT_FIELD = "rendered_at"
RENDERED_AT_SALT = "comptoir.core.form_abuse.rendered_at"
# A person takes longer than this to read a form and type an email address.
MINIMUM_FILL_SECONDS = 2.0


def sign_render_time(at: float | None = None) -> str:
    """Return the signed time a form was shown, for the time trap."""
    return signing.Signer(salt=RENDERED_AT_SALT).sign(f"{time.time() if at is None else at:.3f}")


def seconds_since_render(token: str) -> float | None:
    """Return how long ago the signed token was issued; None if missing or altered."""
    try:
        return time.time() - float(signing.Signer(salt=RENDERED_AT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


class HoneypotForm(forms.Form):
    """A form with a field only robots fill in, and the signed time it was shown.

    A robot that trips either trap is not told: the view answers as if all went well and
    stores nothing, so that it has no signal to learn from. `time_trap=False` keeps only the
    honeypot (for a form reached from a personal link, where the trap adds little).
    """

    def __init__(self, *args: Any, time_trap: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_trap = time_trap
        # Hidden by the "trap" class (off-screen, not display:none, which some robots check);
        # out of the tab order and of autofill so a person never reaches it. The label tells
        # a screen-reader user who lands there anyway to leave it empty.
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        if time_trap:
            self.fields[RENDERED_AT_FIELD] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=sign_render_time
            )

    def is_from_robot(self) -> bool:
        """Tell whether the submission tripped a trap. Call on a bound form."""
        if self.data.get(HONEYPOT_FIELD, ""):
            return True
        if not self.time_trap:
            return False
        elapsed = seconds_since_render(self.data.get(RENDERED_AT_FIELD, ""))
        return elapsed is None or elapsed < MINIMUM_FILL_SECONDS

    def trap_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (HONEYPOT_FIELD, RENDERED_AT_FIELD) if name in self.fields]

    def visible_questions(self) -> list[forms.BoundField]:
        return [field for field in self if field.name not in (HONEYPOT_FIELD, RENDERED_AT_FIELD)]


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the sender wants it to be. Behind a proxy,
    # the proxy must set REMOTE_ADDR (uvicorn's --proxy-headers with --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or "unknown"


def is_rate_limited(request: HttpRequest, scope: str, *, limit: int, window: int) -> bool:
    """Count this request against its IP address; True once over `limit` in `window` seconds.

    A fixed window in Django's cache: the default LocMem cache counts per web process, a
    shared cache (COMPTOIR_REDIS_URL) counts across all of them.
    """
    bucket = int(time.time() // window)
    key = f"comptoir:rate:{scope}:{client_ip(request)}:{bucket}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # Expired between add() and incr().
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit

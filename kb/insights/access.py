"""Who may see insights: editors who know KB_EDITOR_PASSWORD, remembered in the signed session cookie.

Never open by default: without a configured password nobody can log in,
and the page says how to set one. The password is compared with
``hmac.compare_digest`` so the time taken does not reveal how much of a
guess was right, and guesses are rate-limited per client address. The
session keeps a fingerprint of the password, not a plain "logged in": a
changed password logs every editor out.
"""
from __future__ import annotations

import functools
import hashlib
import hmac

from flask import current_app, redirect, request, session, url_for

SESSION_KEY = "kb_editor"


def password() -> str:
    return current_app.config.get("KB_EDITOR_PASSWORD") or ""


def _fingerprint(secret: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"kb-editor\0" + secret.encode(), hashlib.sha256).hexdigest()


def password_matches(attempt: str) -> bool:
    expected = password()
    return bool(expected) and hmac.compare_digest(attempt.encode(), expected.encode())


def log_in() -> None:
    """Start a fresh session: nothing set before the login survives it."""
    session.clear()
    session[SESSION_KEY] = _fingerprint(password())


def log_out() -> None:
    session.pop(SESSION_KEY, None)


def is_editor() -> bool:
    remembered = session.get(SESSION_KEY)
    return bool(password()) and isinstance(remembered, str) and \
        hmac.compare_digest(remembered, _fingerprint(password()))


def editors_only(view):
    """Send anyone who is not logged in to the login page, and back here afterwards."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_editor():
            return redirect(url_for("insights.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped

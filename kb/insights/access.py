"""Who may see insights: editors who know KB_EDITOR_PASSWORD, remembered in the signed session cookie.

Never open by default: without a configured password nobody can log in,
and the page says how to set one. The password is compared with
``hmac.compare_digest`` so the time taken does not reveal how much of a
guess was right, and guesses are limited per client address and for the
account (``kb.insights.logins``). The session keeps a fingerprint of the
password, not a plain "logged in": a changed password logs every editor
out; and the session generation of the server, so logging out does too.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging

import sqlalchemy as sa
from flask import current_app, redirect, request, session, url_for

from kb.insights.logins import current_generation, end_every_session

SESSION_KEY = "kb_editor"
GENERATION_KEY = "kb_editor_generation"
log = logging.getLogger(__name__)


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
    """Start a fresh session in the current generation: nothing set before the login survives it.

    Raises SQLAlchemyError when the database cannot say the generation.
    """
    generation = current_generation()
    session.clear()
    session[SESSION_KEY] = _fingerprint(password())
    session[GENERATION_KEY] = generation


def log_out() -> None:
    """End every editor's session, this one and copies of its cookie included."""
    end_every_session()
    session.pop(SESSION_KEY, None)
    session.pop(GENERATION_KEY, None)


def is_editor() -> bool:
    remembered = session.get(SESSION_KEY)
    if not (password() and isinstance(remembered, str) and hmac.compare_digest(remembered, _fingerprint(password()))):
        return False
    try:
        return session.get(GENERATION_KEY) == current_generation()
    except sa.exc.SQLAlchemyError as error:
        log.warning("editor's session not checked, so not accepted: %s", error)
        return False


def editors_only(view):
    """Send anyone who is not logged in to the login page, and back here afterwards."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_editor():
            return redirect(url_for("insights.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped

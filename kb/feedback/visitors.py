"""Who is voting, without knowing who they are.

A visitor is a random id in a signed cookie (``kb_visitor``), set with their
first vote; a shopper who clears cookies is a new visitor and may vote again.
The client address only keys the rate limit, as a salted hash: an
HMAC-SHA256 keyed with a key derived from SECRET_KEY, so the limit's
counters never hold an address, and every node (sharing SECRET_KEY) counts
one address alike.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import Response, current_app, request, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, Signer

from kb.sessions import secure_cookies

COOKIE = "kb_visitor"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
PAGE_TOKEN = "kb_page_csrf"


def _signer() -> Signer:
    return Signer(current_app.secret_key, salt="kb.visitor")


def visitor_from_cookie() -> str | None:
    """The visitor id from a cookie we signed, or None (no cookie, or a forged one)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        return _signer().unsign(value).decode()
    except BadSignature:
        return None


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def remember_visitor(response: Response, visitor_id: str) -> None:
    response.set_cookie(COOKIE, _signer().sign(visitor_id).decode(), max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=secure_cookies(current_app))


def address_hash(address: str) -> str:
    key = hmac.new(current_app.secret_key.encode(), b"kb.address-hash", hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def _token_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def has_form_session() -> bool:
    """Whether this visitor already holds a session with a form token."""
    return _token_field() in session


def form_token() -> str:
    """The feedback form's token for a visitor who has a session, and "" for one who has none yet.

    Reading an article sets no cookie: the form a new visitor gets carries an
    empty token, and a session (with its token) starts only when they vote.
    static/feedback.js asks ``/feedback/token`` first; a plain form post comes
    back as a page asking to confirm the vote, with the token in it.
    """
    return page_csrf_token() if has_form_session() else ""


def page_csrf_token() -> str:
    """A CSRF token for a form on a revalidated page, reused for half its lifetime.

    Flask-WTF signs a fresh token with the current second at every render, so
    a page carrying one is never the same twice and its ETag never matches.
    Reusing the token for half of WTF_CSRF_TIME_LIMIT lets an unchanged page
    answer 304, and the token shown is still accepted for the other half.
    """
    lifetime = current_app.config.get("WTF_CSRF_TIME_LIMIT") or 3600
    field = _token_field()
    raw, issued, token = session.get(PAGE_TOKEN) or (None, 0, None)
    if token and raw == session.get(field) and time.time() - issued < lifetime / 2:
        return token
    token = generate_csrf()
    session[PAGE_TOKEN] = (session[field], time.time(), token)
    return token

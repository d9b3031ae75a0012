"""The session cookie, signed with one serializer per app instead of a new one per request.

Most page views carry the feedback form, whose CSRF token lives in the
session, so each view reads the session cookie and a visitor's first view
writes one. Flask builds the signing serializer anew on every read and
write, and building it (it test-encodes a payload to learn its type) was a
fifth of the session's cost; the secret key never changes under a
running app, so one serializer serves every request.
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        kept = app.extensions.get("kb.session_serializer")
        if kept is None or kept[0] != app.secret_key:
            kept = app.extensions["kb.session_serializer"] = (app.secret_key, super().get_signing_serializer(app))
        return kept[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_cookies(app)


def secure_cookies(app: Flask) -> bool:
    """Whether our cookies get ``Secure``: on every request over HTTPS, and always when the site is on https.

    A node behind a balancer that ends TLS sees plain HTTP (unless it trusts
    the balancer's X-Forwarded-Proto, KB_PROXY_COUNT): KB_BASE_URL on https
    says the shopper's browser is on HTTPS all the same.
    """
    return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure
                or app.config["KB_BASE_URL"].lower().startswith("https://"))


def init_app(app: Flask) -> None:
    app.session_interface = KeptSerializerSessionInterface()

"""The session cookie, signed with one serializer per app instead of a new one per request.

Most page views carry the feedback form, whose CSRF token lives in the
session, so each view reads the session cookie and a visitor's first view
writes one. Flask builds the signing serializer anew on every read and
write, and building it (it test-encodes a payload to learn its type) was a
fifth of the session's cost; the secret key never changes under a
running app, so one serializer serves every request.
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        kept = app.extensions.get("kb.session_serializer")
        if kept is None or kept[0] != app.secret_key:
            kept = app.extensions["kb.session_serializer"] = (app.secret_key, super().get_signing_serializer(app))
        return kept[1]


def init_app(app: Flask) -> None:
    app.session_interface = KeptSerializerSessionInterface()

"""Safe by default: headers on every response, cookies, no debugger."""
from __future__ import annotations


def test_every_html_response_has_a_strict_content_security_policy(client):
    for path in ("/", "/articles/track-your-order", "/nowhere"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy
        assert "base-uri 'self'" in policy and "frame-ancestors 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_pages_have_no_inline_scripts_or_handlers(client):
    page = client.get("/articles/track-your-order").get_data(as_text=True)
    assert "<script>" not in page and " onclick=" not in page and " onload=" not in page


def test_session_cookies_are_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_debugger_is_off(app):
    assert app.debug is False


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch, content):
    from kb import _instance_secret
    first = _instance_secret(tmp_path / "instance")
    assert len(first) == 64
    assert _instance_secret(tmp_path / "instance") == first
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode & 0o777) == "0o600"

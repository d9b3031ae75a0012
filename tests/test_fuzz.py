"""Hostile input on every route: never a 5xx, never the input echoed unescaped.

The routes come from ``app.url_map``, so a new route is fuzzed without
touching this file. Each route gets a fixed list of known-hostile strings in
its path variables, its query string and (for POST) its form, then a bounded
Hypothesis run of arbitrary text. Markup in the input is wrapped in a marker
(``<kbfuzz``) that no page contains, so finding it in an HTML or XML answer
means the input was echoed unescaped; ``{{7*'kbfz'}}`` evaluated by a
template would show as seven ``kbfz`` in a row.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = [
    "\x00",
    "a\x00b",
    "x" * 20_000,
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # RTL override, Hebrew, Arabic
    "\U0001f4a9\U0001f468\u200d\U0001f469\u200d\U0001f467 \ufe0f",  # emoji, zero-width joiners
    "{{7*'kbfz'}}",
    "{% print 'kbfz'*7 %}",
    "<script>alert('kbfuzz')</script>",
    "\"><kbfuzz onerror=alert(1)>",
    "'><kbfuzz/>",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%00",
    "%%%",
    "\r\nSet-Cookie: kbfuzz=1",
    "' OR 1=1 --",
    "\\",
    "*",
    "\"unclosed phrase",
    "-1",
    "9223372036854775807",  # the largest 64-bit integer; one more is test_number_too_large_for_the_database_...
]
# Already percent-encoded: bytes that are not UTF-8, overlong and truncated sequences.
RAW_HOSTILE = ["%ff%fe", "%c0%ae%c0%ae%2f", "%e2%82", "%ed%a0%80", "%80", "a%00b", "%25%00"]
QUERY_KEYS = ("q", "category", "page", "view", "exact", "entry", "format", "period", "from", "to", "next")
FORM_KEYS = ("helpful", "details", "reasons", "comment", "password", "next")
EDITOR_PASSWORD = "fuzz"
MARKUP = re.compile(r"[<>\"']")
TEMPLATE_EVALUATED = b"kbfz" * 7


@pytest.fixture
def fuzz_app(make_app):
    # Limits high enough that every request reaches its view instead of a 429.
    return make_app(KB_API_RATE_LIMIT="100000 per minute", KB_FEEDBACK_RATE_LIMIT="100000 per minute",
                    KB_EDITOR_PASSWORD=EDITOR_PASSWORD, KB_EDITOR_LOGIN_RATE_LIMIT="100000 per minute")


def routes(app):
    return sorted((rule for rule in app.url_map.iter_rules()), key=lambda rule: rule.rule)


def path_for(rule, encoded: str) -> str:
    """The rule's path with every variable set to ``encoded`` (already percent-encoded)."""
    def variable(match: re.Match) -> str:
        converter = match.group(1) or "default"
        return "7" if converter == "int" and not encoded.lstrip("-").isdigit() and match.group(3) else encoded
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>()", variable, rule.rule)


def query_for(encoded: str) -> str:
    return "&".join(f"{key}={encoded}" for key in QUERY_KEYS)


def token(client) -> str:
    """A form token and the session it belongs to, as the feedback script gets them."""
    return client.get("/feedback/token").get_json()["csrf_token"]


def editor(app):
    """A client logged in to the editors' pages, so they are fuzzed past the login."""
    client = app.test_client()
    client.post("/insights/login", data={"csrf_token": token(client), "password": EDITOR_PASSWORD})
    assert client.get("/insights").status_code == 200
    return client


def check(response, text: str | None, where: str) -> None:
    assert response.status_code < 500, f"{where} answered {response.status_code}"
    if response.mimetype not in ("text/html", "application/xml", "application/atom+xml", "text/xml"):
        return  # JSON and plain text are not markup: an echo there cannot run
    body = response.get_data()
    assert TEMPLATE_EVALUATED not in body, f"{where}: a template expression in the input was evaluated"
    assert b"<kbfuzz" not in body.lower() and b"<script>alert('kbfuzz')" not in body, \
        f"{where}: the input came back unescaped"
    if text and MARKUP.search(text) and len(text) > 3:
        assert text.encode() not in body, f"{where}: the input came back unescaped"


def send(app, client, rule, encoded: str, text: str | None, csrf: str) -> None:
    path = path_for(rule, encoded)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        if method == "GET":
            response = client.get(f"{path}?{query_for(encoded)}")
        else:
            form = "&".join(f"{key}={encoded}" for key in FORM_KEYS)
            response = client.post(path, data=f"csrf_token={csrf}&{form}",
                                   content_type="application/x-www-form-urlencoded")
        check(response, text, f"{method} {path[:80]}")


def test_known_hostile_strings_on_every_route(fuzz_app):
    client = editor(fuzz_app)
    csrf = token(client)
    for rule in routes(fuzz_app):
        for text in HOSTILE:
            send(fuzz_app, client, rule, quote(text, safe=""), text, csrf)
        for raw in RAW_HOSTILE:
            send(fuzz_app, client, rule, raw, None, csrf)


def test_static_files_never_leave_the_static_folder(client):
    for path in ("/static/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/etc/passwd",
                 "/static//etc/passwd", "/static/%00"):
        response = client.get(path)
        assert response.status_code in (308, 400, 404) and b"root:" not in response.get_data(), path
        if response.status_code == 308:  # "//" folded into "/": the redirect stays under /static/
            target = urlsplit(response.location).path
            assert target.startswith("/static/") and client.get(target).status_code == 404


def test_number_too_large_for_the_database_in_a_contact_link_is_not_a_server_error(fuzz_app):
    client = fuzz_app.test_client()
    for path in ("/contact/99999999999999999999999/email", "/contact/99999999999999999999999/article/track-your-order",
                 "/a/99999999999999999999999"):
        assert client.get(path).status_code < 500, path


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_text_on_every_route(fuzz_app, data):
    client = editor(fuzz_app) if data.draw(st.booleans(), label="editor") else fuzz_app.test_client()
    rule = data.draw(st.sampled_from(routes(fuzz_app)), label="route")
    text = data.draw(st.one_of(
        st.text(max_size=60),
        st.text(alphabet=st.sampled_from("<>\"'&%{}/\\.\x00\u202e\U0001f600 ab"), max_size=40),
        st.builds(lambda inner: f"<kbfuzz>{inner}", st.text(max_size=20)),
    ), label="input")
    encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
    send(fuzz_app, client, rule, encoded, text, "not-a-token")

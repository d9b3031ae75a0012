"""Posts no page of ours sends: fields as files, huge bodies, repeated fields, wrong types and encodings.

Each gets a 4xx that says what was wrong, never a 5xx, and nothing is stored.
The property-based test sends mixtures of them to every POST route.
"""
from __future__ import annotations

import io
import re
import socket
import threading
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server

from tests.test_feedback import ARTICLE, Shopper, stored_comments, stored_votes

TOO_LONG = "What you sent is too long for this form. Shorten your comment and try again."
MEGABYTES_10 = 10 * 1024 * 1024


def refusal(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path, message", [
    (f"/articles/{ARTICLE}/feedback", "The field “comment” was sent as a file; this form takes text only."),
    (f"/de/articles/{ARTICLE}/feedback",
     "Das Feld „comment“ wurde als Datei gesendet; dieses Formular nimmt nur Text an."),
])
def test_a_comment_sent_as_a_file_is_refused_with_a_clear_message(app, path, message):
    shopper = Shopper(app)
    response = shopper.client.post(path, data={"csrf_token": shopper.token(), "helpful": "no", "details": "1",
                                               "comment": (io.BytesIO(b"my note"), "note.txt")})
    assert response.status_code == 400
    assert str(escape(message)) in refusal(response)
    assert stored_votes(app) == []


def test_a_file_sent_without_a_form_token_is_refused_too(app):
    response = app.test_client().post(f"/articles/{ARTICLE}/feedback",
                                      data={"helpful": "no", "comment": (io.BytesIO(b"x"), "note.txt")})
    assert response.status_code == 400
    assert stored_votes(app) == []


def test_a_repeated_field_is_refused_and_nothing_is_stored(app):
    shopper = Shopper(app)
    body = f"csrf_token={shopper.token()}&helpful=yes&helpful=no"
    response = shopper.client.post(f"/articles/{ARTICLE}/feedback", data=body,
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert str(escape("The field “helpful” was sent more than once; send it once.")) in refusal(response)
    assert stored_votes(app) == []


def test_several_reasons_are_still_one_field_each(app):
    assert Shopper(app).tell_more(["out-of-date", "other"], "Old").status_code == 303
    assert stored_votes(app)[0].reasons == "out-of-date other"


def test_a_multipart_form_that_is_not_utf8_is_refused(app):
    shopper = Shopper(app)
    token = shopper.token()
    body = (f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="helpful"\r\n\r\nno\r\n'
            '--b\r\nContent-Disposition: form-data; name="details"\r\n\r\n1\r\n'
            '--b\r\nContent-Disposition: form-data; name="comment"\r\n\r\n').encode() + b"\xff\xfebad\r\n--b--\r\n"
    response = shopper.client.post(f"/articles/{ARTICLE}/feedback", data=body,
                                   content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400
    assert "The form was not sent as UTF-8 text." in refusal(response)
    assert stored_votes(app) == []


def test_a_plain_multipart_form_without_files_still_votes(app):
    shopper = Shopper(app)
    response = shopper.client.post(f"/articles/{ARTICLE}/feedback", content_type="multipart/form-data",
                                   data={"csrf_token": shopper.token(), "helpful": "no", "details": "1",
                                         "comment": "Grüße"})
    assert response.status_code == 303
    assert stored_comments(app) == ["Grüße"]


def test_a_vote_with_a_10_mb_extra_field_is_refused_and_not_stored(app):
    shopper = Shopper(app)
    response = shopper.vote("yes", padding="x" * MEGABYTES_10)
    assert response.status_code == 413
    assert TOO_LONG in refusal(response)
    assert shopper.vote("yes", script=True, padding="x" * MEGABYTES_10).get_json() == {"message": TOO_LONG}
    assert stored_votes(app) == []


def test_a_comment_just_over_the_limit_gets_the_length_message_not_413(app):
    response = Shopper(app).tell_more(comment="ü" * 1001)
    assert response.status_code == 400
    assert "Your comment is 1001 characters long; please keep it to 1000." in refusal(response)


def test_a_1000_character_comment_in_four_byte_letters_fits_the_limit(app):
    assert Shopper(app).tell_more(["other"], "\U0001f600" * 1000).status_code == 303
    assert len(stored_comments(app)[0]) == 1000


def test_a_body_over_the_limit_is_answered_413_before_it_is_read(app):
    """The server answers after the headers alone: the 10 MB it announced are never sent."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as connection:
            connection.sendall((f"POST /articles/{ARTICLE}/feedback HTTP/1.1\r\nHost: shop.example\r\n"
                                "Content-Type: application/x-www-form-urlencoded\r\n"
                                f"Content-Length: {MEGABYTES_10}\r\n\r\nhelpful=yes&comment=").encode())
            status_line = connection.makefile("rb").readline()
    finally:
        server.shutdown()
        thread.join()
    assert status_line.split()[1] == b"413"
    assert stored_votes(app) == []


def test_an_editor_password_sent_as_a_file_is_refused(make_app):
    app = make_app(KB_EDITOR_PASSWORD="right")
    client = app.test_client()
    response = client.post("/insights/login", data={"password": (io.BytesIO(b"right"), "password.txt")})
    assert response.status_code == 400
    assert client.get("/insights").status_code == 302


# ---------------------------------------------------------------- every POST route, generated

HOSTILE_KINDS = ("file", "huge", "repeated", "content_type", "encoding")
FIELDS = ("csrf_token", "helpful", "details", "reasons", "comment", "password", "next")
WRONG_TYPES = ("application/json", "text/plain", "application/xml", "application/octet-stream",
               "multipart/form-data", "application/x-www-form-urlencoded; charset=iso-8859-1")


def post_routes(app) -> list[str]:
    """Every POST address, with the article's slug where the rule takes one."""
    return sorted(re.sub(r"<[^>]*lang>", "de", rule.rule).replace("<slug>", ARTICLE)
                  for rule in app.url_map.iter_rules() if "POST" in rule.methods)


@st.composite
def hostile_posts(draw, token: str):
    """A post that is otherwise a valid vote or login, with at least one kind of hostility mixed in."""
    kinds = draw(st.sets(st.sampled_from(HOSTILE_KINDS), min_size=1))
    fields = {"csrf_token": token, "helpful": draw(st.sampled_from(["yes", "no"])), "details": "1",
              "comment": draw(st.text(max_size=50)), "password": "fuzz"}
    pairs = [(name, value) for name, value in fields.items()]
    if "repeated" in kinds:
        name = draw(st.sampled_from(sorted(fields)))
        pairs.append((name, draw(st.text(max_size=20))))
    if "huge" in kinds:
        pairs.append((draw(st.sampled_from(FIELDS + ("extra",))), "x" * draw(st.integers(17 * 1024, 2 * 1024 * 1024))))
    if "file" in kinds:
        name = draw(st.sampled_from(FIELDS))
        pairs = [(n, v) for n, v in pairs if n != name] + [(name, (io.BytesIO(draw(st.binary(max_size=100))), "f.txt"))]
        return {"data": MultiDict(pairs), "content_type": "multipart/form-data"}
    body = "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs).encode()
    if "encoding" in kinds:
        body += b"&comment=" + draw(st.sampled_from([b"\xff\xfe", b"%FF%FE", b"%C0%AE", b"%ED%A0%80", b"\xe2\x82"]))
    content_type = "application/x-www-form-urlencoded"
    if "content_type" in kinds:
        content_type = draw(st.sampled_from(WRONG_TYPES))
        if content_type == "multipart/form-data":
            content_type += "; boundary=nothing-here"
    return {"data": body, "content_type": content_type}


@pytest.fixture
def editors_app(make_app):
    return make_app(KB_EDITOR_PASSWORD="fuzz", KB_FEEDBACK_RATE_LIMIT="100000 per minute",
                    KB_EDITOR_LOGIN_RATE_LIMIT="100000 per minute")


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_posts_to_every_post_route_get_4xx_and_store_nothing(editors_app, data):
    shopper = Shopper(editors_app)
    route = data.draw(st.sampled_from(post_routes(editors_app)), label="route")
    post = data.draw(hostile_posts(shopper.token()), label="post")
    response = shopper.client.post(route, **post)
    assert 400 <= response.status_code < 500, f"{route} answered {response.status_code}"
    assert stored_votes(editors_app) == []
    assert shopper.client.get("/insights").status_code == 302  # not logged in by a hostile login

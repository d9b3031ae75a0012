"""What a posted body must be before any view reads it: small, UTF-8 text, no files, each field once.

kb's forms (a vote with its comment, the editors' login) are a few hundred
bytes of text. Werkzeug refuses a body over ``MAX_CONTENT_LENGTH``
(``KB_MAX_REQUEST_BYTES``) with 413 from its ``Content-Length`` before
reading it, and stops reading a body sent in chunks at that size; a
multipart body may hold at most ``MAX_FORM_PARTS`` parts. What is left is
checked here, once for every POST, so a view only ever sees text fields:

- a field sent as a file (``curl -F comment=@note.txt``) would reach a view
  as a file object;
- bytes that are not UTF-8 are dropped or replaced by Werkzeug, so a view
  would store a mangled field or blame the form's token;
- a repeated field (``helpful=yes&helpful=no``) would be read as its first
  value; only the fields a form sends as a list may repeat.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, abort, g, request
from flask_babel import gettext

# The feedback form's reason checkboxes: one field per ticked box.
LIST_FIELDS = frozenset({"reasons"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MAX_FORM_PARTS = 32  # the feedback form has at most 9 (four of them reasons)


def allow_files(names: frozenset[str], max_bytes: int, max_text_bytes: int) -> None:
    """Let this request's form send files in the fields ``names``, and be up to ``max_bytes`` long.

    Called before anything reads the form (from a ``url_value_preprocessor``)
    by the one form that takes files, the contact request with its photos.
    """
    request.max_content_length = max_bytes
    request.max_form_memory_size = max_text_bytes
    g.kb_file_fields = names


def _refuse_bad_form() -> None:
    """Answer 400, saying what was wrong, to a POST form a view could misread."""
    if request.method != "POST" or request.mimetype not in FORM_TYPES:
        return  # no form: the view finds no fields, and its token check refuses it
    body = request.get_data(cache=True)  # kept, so the form is parsed from it next
    file_fields = g.get("kb_file_fields", frozenset())
    if misplaced := next((name for name in request.files if name not in file_fields), None):
        abort(400, description=gettext("The field “%(name)s” was sent as a file; this form takes text only.",
                                       name=misplaced))
    if not (_text_fields_are_utf8() if request.files else _is_utf8(body)):
        abort(400, description=gettext("The form was not sent as UTF-8 text. Reload the page and try again."))
    repeated = next((name for name, values in request.form.lists() if len(values) > 1 and name not in LIST_FIELDS),
                    None)
    if repeated is not None:
        abort(400, description=gettext("The field “%(name)s” was sent more than once; send it once.",
                                       name=repeated))


def _is_utf8(body: bytes) -> bool:
    """Whether the body, and each percent-encoded field of a URL-encoded one, is UTF-8 and declared so.

    A multipart body is checked whole: without files, everything in it is
    ASCII boundaries and headers around the fields' text.
    """
    if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return False
    try:
        text = body.decode("utf-8")
        if request.mimetype == "application/x-www-form-urlencoded":
            parse_qsl(text, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _text_fields_are_utf8() -> bool:
    """With files in the body, its text fields one by one: Werkzeug marks bytes that are not UTF-8 with U+FFFD."""
    return request.mimetype_params.get("charset", "utf-8").lower() in ("utf-8", "utf8") and not any(
        "\ufffd" in value for value in request.form.values())


def init_app(app: Flask) -> None:
    """Flask's limits from KB_MAX_REQUEST_BYTES, and the check; register it before CSRF, which reads the form."""
    limit = app.config["KB_MAX_REQUEST_BYTES"]
    app.config.update(MAX_CONTENT_LENGTH=limit, MAX_FORM_MEMORY_SIZE=limit, MAX_FORM_PARTS=MAX_FORM_PARTS)
    app.before_request(_refuse_bad_form)

"""The request form: every field checked once here, each refusal worded for the shopper."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from kb.contact_requests.models import EMAIL_CHARS, MAX_MESSAGE_CHARS, NAME_CHARS, ORDER_CHARS

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Line breaks would start a new e-mail header; other control characters have no place in a name either.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_FILES = 3
OTHER_TOPIC = "other"


def _unix_newlines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n") if text else text


def _strip(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


def _one_line(form, field) -> None:
    if field.data and CONTROL.search(field.data):
        raise ValidationError(gettext("Please write this on one line."))


class RequestForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            """None: every message here is ours and translated already."""
            return None

    name = StringField(lazy_gettext("Your name"), filters=[_strip], validators=[
        InputRequired(lazy_gettext("Please tell us your name.")), _one_line,
        Length(max=NAME_CHARS, message=lazy_gettext("Please keep your name to %(max)d characters."))])
    email = StringField(lazy_gettext("Your e-mail address"), filters=[_strip], validators=[
        InputRequired(lazy_gettext("Please tell us your e-mail address, so we can answer.")), _one_line,
        Length(max=EMAIL_CHARS, message=lazy_gettext("Please keep your e-mail address to %(max)d characters."))])
    topic = SelectField(lazy_gettext("Topic"), validate_choice=False)
    order_number = StringField(lazy_gettext("Order number (optional)"), filters=[_strip], validators=[
        Optional(), _one_line, Length(max=ORDER_CHARS)])
    message = TextAreaField(lazy_gettext("Your message"), filters=[_unix_newlines, _strip], validators=[
        InputRequired(lazy_gettext("Please write your message.")),
        Length(max=MAX_MESSAGE_CHARS,
               message=lazy_gettext("Your message is too long; please keep it to %(max)d characters."))])
    photos = MultipleFileField(lazy_gettext("Photos or PDFs (optional, up to 3, 5 MB each)"))
    share_visit = BooleanField(lazy_gettext("Send the team what I looked at on this visit, so I need not repeat it"),
                               default=True)
    came_from = HiddenField()
    visit = HiddenField()  # filled by static/request.js from this tab's visit, when the shopper agrees
    homepage = StringField()  # hidden from people; only a robot fills it in

    def validate_email(self, field) -> None:
        if not EMAIL.fullmatch(field.data or ""):
            raise ValidationError(gettext("“%(email)s” is not an e-mail address: it should look like "
                                          "name@example.com.", email=field.data))

    def validate_order_number(self, field) -> None:
        pattern = current_app.config["KB_ORDER_NUMBER_PATTERN"]
        if field.data and not re.fullmatch(pattern, field.data):
            raise ValidationError(gettext("“%(number)s” does not look like one of our order numbers "
                                          "(e.g. AP-1234567). Leave it empty if you have none.", number=field.data))

    def validate_topic(self, field) -> None:
        if field.data not in dict(field.choices):
            raise ValidationError(gettext("Please choose a topic from the list."))

    def validate_photos(self, field) -> None:
        chosen = [file for file in field.data or [] if file and file.filename]
        if len(chosen) > MAX_FILES:
            raise ValidationError(gettext("Please attach at most %(count)d files.", count=MAX_FILES))
        field.data = chosen

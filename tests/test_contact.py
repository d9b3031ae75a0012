"""What shoppers see in the contact panel, and what editors see when
contact.yml is wrong. Time is frozen by passing explicit aware datetimes."""
from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.contact import (
    Channel,
    ChannelStatus,
    Contact,
    Interval,
    SocialLink,
    WeeklyHours,
    load_contact,
    opening_hours_text,
)
from kb.problems import Problem

NAME = "articles/contact.yml"
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

# June 2026: Monday 1st, Wednesday 10th, Friday 12th, Saturday 13th, Sunday 14th.
WEEKDAY_HOURS = """
    mon-fri: "09:00-18:00"
    sat: "10:00-16:00"
"""


def load(tmp_path: Path, text: str) -> tuple[Contact | None, list[Problem]]:
    path = tmp_path / "contact.yml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return load_contact(path, NAME)


def shop(tmp_path: Path, hours: str, closed: str = "", zone: str = "Europe/London",
         channel_closed: str = "") -> tuple[Contact, Channel]:
    """A contact file with one phone channel with ``hours``, loaded cleanly."""
    indent = " " * 6
    text = (
        f"timezone: {zone}\n"
        + (f"closed:\n{textwrap.indent(textwrap.dedent(closed).strip(), '  ')}\n" if closed else "")
        + "channels:\n"
        "  - kind: phone\n"
        "    label: Call us\n"
        "    value: 0131 496 0123\n"
        "    hours:\n"
        f"{textwrap.indent(textwrap.dedent(hours).strip(), indent)}\n"
        + (f"    closed:\n{textwrap.indent(textwrap.dedent(channel_closed).strip(), indent)}\n"
           if channel_closed else "")
    )
    path = tmp_path / "contact.yml"
    path.write_text(text, encoding="utf-8")
    contact, problems = load_contact(path, NAME)
    assert problems == []
    assert contact is not None
    return contact, contact.channels[0]


def text_at(tmp_path: Path, hours: str, now: datetime, **options: str) -> str:
    contact, channel = shop(tmp_path, hours, **options)
    status = contact.status(channel, now)
    assert status is not None
    return status.text


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- Open or closed, and until when ------------------------------------------

def test_open_mid_afternoon_shows_closing_time(tmp_path):
    contact, channel = shop(tmp_path, WEEKDAY_HOURS)
    assert contact.status(channel, london(2026, 6, 10, 15, 0)) == ChannelStatus(
        True, "Open now — until 18:00")


def test_closed_at_night_opens_tomorrow(tmp_path):
    contact, channel = shop(tmp_path, WEEKDAY_HOURS)
    assert contact.status(channel, london(2026, 6, 10, 22, 0)) == ChannelStatus(
        False, "Closed — opens tomorrow 09:00")


def test_early_morning_opens_today(tmp_path):
    assert text_at(tmp_path, WEEKDAY_HOURS, london(2026, 6, 10, 7, 0)) == "Closed — opens today 09:00"


def test_saturday_evening_opens_monday(tmp_path):
    assert text_at(tmp_path, WEEKDAY_HOURS, london(2026, 6, 13, 17, 0)) == "Closed — opens Monday 09:00"


def test_friday_evening_opens_saturday_with_saturday_hours(tmp_path):
    assert text_at(tmp_path, WEEKDAY_HOURS, london(2026, 6, 12, 19, 0)) == "Closed — opens tomorrow 10:00"


@pytest.mark.parametrize(("hour", "minute", "expected"), [
    (8, 59, "Closed — opens today 09:00"),
    (9, 0, "Open now — until 18:00"),
    (17, 59, "Open now — until 18:00"),
    (18, 0, "Closed — opens tomorrow 09:00"),
])
def test_opening_time_is_open_and_closing_time_is_closed(tmp_path, hour, minute, expected):
    assert text_at(tmp_path, WEEKDAY_HOURS, london(2026, 6, 10, hour, minute)) == expected


@pytest.mark.parametrize(("now", "expected"), [
    (london(2026, 6, 12, 19, 59), "Closed — opens today 20:00"),
    (london(2026, 6, 12, 23, 59), "Open now — until 02:00"),
    (london(2026, 6, 13, 0, 0), "Open now — until 02:00"),
    (london(2026, 6, 13, 0, 1), "Open now — until 02:00"),
    (london(2026, 6, 13, 1, 59), "Open now — until 02:00"),
    (london(2026, 6, 13, 2, 0), "Closed — opens Friday 20:00"),
])
def test_late_line_stays_open_past_midnight(tmp_path, now, expected):
    assert text_at(tmp_path, 'fri: "20:00-02:00"', now) == expected


def test_hours_touching_at_midnight_read_as_one_stretch(tmp_path):
    hours = """
        fri: "22:00-24:00"
        sat: "00:00-02:00, 10:00-12:00"
    """
    assert text_at(tmp_path, hours, london(2026, 6, 12, 23, 0)) == "Open now — until 02:00"


def test_open_until_midnight_says_24_00(tmp_path):
    assert text_at(tmp_path, 'wed: "18:00-24:00"', london(2026, 6, 10, 23, 0)) == "Open now — until 24:00"


@pytest.mark.parametrize(("now", "expected"), [
    (london(2026, 6, 14, 23, 30), "Open now — until 01:00"),
    (london(2026, 6, 15, 0, 30), "Open now — until 01:00"),
    (london(2026, 6, 15, 1, 0), "Closed — opens today 09:00"),
    (london(2026, 6, 15, 17, 0), "Closed — opens Sunday 18:00"),
])
def test_sunday_night_runs_into_monday(tmp_path, now, expected):
    hours = """
        sun: "18:00-01:00"
        mon: "09:00-17:00"
    """
    assert text_at(tmp_path, hours, now) == expected


def test_closed_sunday_night_opens_tomorrow_monday(tmp_path):
    assert text_at(tmp_path, WEEKDAY_HOURS, london(2026, 6, 14, 23, 30)) == "Closed — opens tomorrow 09:00"


def test_opening_more_than_six_days_away_shows_the_date(tmp_path):
    text = text_at(tmp_path, 'mon: "09:00-10:00"', london(2026, 12, 21, 12, 0),
                   closed="2026-12-28: Christmas break")
    assert text == "Closed — opens Mon 4 Jan 09:00"


def test_opening_exactly_a_week_away_shows_the_date(tmp_path):
    assert text_at(tmp_path, 'mon: "09:00-10:00"', london(2026, 1, 5, 11, 0)) == "Closed — opens Mon 12 Jan 09:00"


def test_channel_that_never_opens_just_says_closed(tmp_path):
    assert text_at(tmp_path, "mon-sun: closed", london(2026, 6, 10, 12, 0)) == "Closed"


def test_open_around_the_clock_says_24_hours(tmp_path):
    assert text_at(tmp_path, 'mon-sun: "00:00-24:00"', london(2026, 6, 10, 3, 0)) == "Open now — 24 hours"


def test_round_the_clock_line_names_the_day_it_closes_for_a_holiday(tmp_path):
    text = text_at(tmp_path, 'mon-sun: "00:00-24:00"', london(2026, 12, 22, 12, 0),
                   closed="2026-12-25: Christmas Day")
    assert text == "Open now — until Thursday 24:00"


def test_open_stretch_ending_after_tomorrow_names_the_day(tmp_path):
    text = text_at(tmp_path, 'mon-fri: "00:00-24:00"', london(2026, 6, 10, 12, 0))
    assert text == "Open now — until Friday 24:00"


def test_channel_without_hours_has_no_status(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        channels:
          - kind: email
            label: Email
            value: help@alderandpine.example
    """)
    assert problems == []
    now = london(2026, 6, 10, 3, 0)
    assert contact.status(contact.channels[0], now) is None
    assert contact.panel(now) == [(contact.channels[0], None)]


def test_naive_now_is_a_programming_error(tmp_path):
    contact, channel = shop(tmp_path, WEEKDAY_HOURS)
    with pytest.raises(ValueError, match="timezone-aware"):
        contact.status(channel, datetime(2026, 6, 10, 12, 0))


# --- Closed days ---------------------------------------------------------------

# Christmas 2026 falls on a Friday.
HOLIDAYS = """
    2026-12-25: Christmas Day
    2027-01-01: New Year's Day
"""


def test_holiday_says_why_it_is_closed_today(tmp_path):
    text = text_at(tmp_path, WEEKDAY_HOURS, london(2026, 12, 25, 11, 0), closed=HOLIDAYS)
    assert text == "Closed today (Christmas Day) — opens tomorrow 10:00"


def test_holiday_tomorrow_is_skipped_when_saying_when_it_opens(tmp_path):
    text = text_at(tmp_path, WEEKDAY_HOURS, london(2026, 12, 24, 19, 0), closed=HOLIDAYS)
    assert text == "Closed — opens Saturday 10:00"


def test_holiday_without_a_reason_says_closed_today(tmp_path):
    text = text_at(tmp_path, WEEKDAY_HOURS, london(2026, 12, 25, 11, 0), closed="2026-12-25:")
    assert text == "Closed today — opens tomorrow 10:00"


def test_channel_closed_day_only_closes_that_channel(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        closed:
          2026-12-25: Christmas Day
        channels:
          - kind: phone
            value: 0131 496 0123
            hours:
              mon-sat: "09:00-18:00"
            closed:
              2026-12-24: Christmas Eve
          - kind: chat
            value: Chat with the team
            hours:
              mon-sun: "08:00-22:00"
    """)
    assert problems == []
    statuses = [status.text for _, status in contact.panel(london(2026, 12, 24, 12, 0))]
    assert statuses == [
        "Closed today (Christmas Eve) — opens Saturday 09:00",
        "Open now — until 22:00",
    ]


@pytest.mark.parametrize(("now", "expected"), [
    (london(2026, 12, 25, 1, 0), "Open now — until 02:00"),
    (london(2026, 12, 25, 21, 0), "Closed today (Christmas Day) — opens tomorrow 20:00"),
])
def test_holiday_cancels_hours_starting_that_day_not_the_night_before(tmp_path, now, expected):
    assert text_at(tmp_path, 'mon-sun: "20:00-02:00"', now, closed=HOLIDAYS) == expected


# --- Time zones and daylight saving --------------------------------------------

def test_shop_in_new_york_seen_from_utc(tmp_path):
    # January: New York is UTC-5, so 13:30 UTC is 08:30 in the shop.
    now = datetime(2026, 1, 7, 13, 30, tzinfo=UTC)
    text = text_at(tmp_path, 'mon-fri: "09:00-17:00"', now, zone="America/New_York")
    assert text == "Closed — opens today 09:00"


def test_today_is_the_shops_today_not_utcs(tmp_path):
    # Thursday 03:00 UTC is still Wednesday 22:00 in New York.
    now = datetime(2026, 1, 8, 3, 0, tzinfo=UTC)
    text = text_at(tmp_path, 'mon-fri: "09:00-17:00"', now, zone="America/New_York")
    assert text == "Closed — opens tomorrow 09:00"


def test_now_in_another_zone_is_converted(tmp_path):
    now = datetime(2026, 6, 10, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 15:00 in London
    assert text_at(tmp_path, WEEKDAY_HOURS, now) == "Open now — until 18:00"


@pytest.mark.parametrize(("now", "expected"), [
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026; 09:00 BST is 08:00 UTC.
    (datetime(2026, 3, 28, 20, 0, tzinfo=UTC), "Closed — opens Monday 09:00"),
    (datetime(2026, 3, 30, 7, 59, tzinfo=UTC), "Closed — opens today 09:00"),
    (datetime(2026, 3, 30, 8, 0, tzinfo=UTC), "Open now — until 18:00"),
])
def test_opening_follows_the_clock_after_clocks_go_forward(tmp_path, now, expected):
    assert text_at(tmp_path, WEEKDAY_HOURS, now) == expected


def test_night_line_across_clocks_going_forward_closes_at_the_clock_time(tmp_path):
    # Open 22:00 Saturday to 03:00 Sunday: the night is an hour short, but still ends at 03:00.
    text = text_at(tmp_path, 'sat: "22:00-03:00"', datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert text == "Open now — until 03:00"
    contact, channel = shop(tmp_path, 'sat: "22:00-03:00"')
    assert contact.status(channel, datetime(2026, 3, 29, 2, 0, tzinfo=UTC)).is_open is False


def test_hours_in_the_missing_hour_do_not_crash(tmp_path):
    # On 29 March 2026 London clocks jump from 01:00 to 02:00: 01:30-02:00 never happens.
    contact, channel = shop(tmp_path, 'sun: "01:30-02:00, 02:30-03:00"')
    assert contact.status(channel, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)).text == "Closed — opens today 02:30"
    assert contact.status(channel, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)).text == "Open now — until 03:00"
    start = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    for step in range(24):
        status = contact.status(channel, start + timedelta(minutes=15 * step))
        assert status.text.startswith(("Open now — until ", "Closed — opens "))


def test_hours_in_the_repeated_hour_on_clocks_going_back(tmp_path):
    # Clocks go back at 02:00 BST on Sunday 25 October 2026; 01:00-02:00 happens twice.
    contact, channel = shop(tmp_path, 'sun: "01:30-04:00"')
    first_0130 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert contact.status(channel, first_0130 - timedelta(minutes=1)).text == "Closed — opens today 01:30"
    assert contact.status(channel, first_0130).text == "Open now — until 04:00"
    assert contact.status(channel, datetime(2026, 10, 25, 4, 0, tzinfo=UTC)).is_open is False


ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                     timezones=st.just(UTC)),
)
def test_status_is_always_well_formed_whatever_the_moment(zone, now):
    hours = WeeklyHours(days=(
        (Interval(0, 30), Interval(90, 150)),  # 00:00-00:30, 01:30-02:30
        (Interval(22 * 60, 26 * 60),),          # 22:00-02:00
        (),
        (Interval(0, 1440),),
        (Interval(9 * 60, 18 * 60),),
        (Interval(23 * 60 + 30, 24 * 60 + 30),),
        (),
    ))
    channel = Channel(kind="chat", label="Chat", value="Chat", hours=hours)
    contact = Contact(ZoneInfo(zone), (channel,), {date(2026, 12, 25): "Christmas Day"})
    status = contact.status(channel, now)
    prefix = "Open now — " if status.is_open else "Closed"
    assert status.text.startswith(prefix)


# --- Loading: channels and links -------------------------------------------------

def test_shipped_contact_file_loads_cleanly():
    path = Path(__file__).resolve().parent.parent / "articles" / "contact.yml"
    contact, problems = load_contact(path, NAME)
    assert problems == []
    assert contact is not None and contact.channels


def test_channels_load_in_file_order_with_links(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        closed:
          2026-12-25: Christmas Day
        channels:
          - kind: phone
            label: Call us
            value: 0131 496 0123
            response: Usually answered within 3 minutes
            hours:
              mon-fri: "09:00-18:00"
          - kind: email
            value: help@alderandpine.example
          - kind: chat
            label: Live chat
            value: Chat with the team
            link: https://chat.alderandpine.example/
          - kind: social
            label: Social
            value: Message us on Instagram
            links:
              - label: Instagram
                url: https://instagram.example/alderandpine
    """)
    assert problems == []
    assert contact.timezone == LONDON
    assert contact.closed == {date(2026, 12, 25): "Christmas Day"}
    phone, email, chat, social = contact.channels
    assert (phone.kind, phone.label, phone.link) == ("phone", "Call us", "tel:01314960123")
    assert phone.response == "Usually answered within 3 minutes"
    assert (email.label, email.link, email.hours) == ("Email", "mailto:help@alderandpine.example", None)
    assert chat.link == "https://chat.alderandpine.example/"
    assert (social.link, social.links) == (None, (SocialLink("Instagram", "https://instagram.example/alderandpine"),))


def test_explicit_phone_link_is_kept(tmp_path):
    contact, _ = load(tmp_path, """
        timezone: Europe/London
        channels:
          - kind: phone
            value: 0131 496 0123
            link: "tel:+441314960123"
    """)
    assert contact.channels[0].link == "tel:+441314960123"


def test_values_are_kept_as_typed_not_as_yaml_numbers(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        channels:
          - kind: Phone
            label: yes
            value: 4960123
    """)
    assert problems == []
    channel = contact.channels[0]
    assert (channel.kind, channel.label, channel.value, channel.link) == ("phone", "yes", "4960123", "tel:4960123")


@pytest.mark.parametrize(("key", "days"), [
    ("mon", [0]),
    ("Monday", [0]),
    ("MON-wed", [0, 1, 2]),
    ("fri-mon", [0, 4, 5, 6]),
    ("sat,sun", [5, 6]),
    ("tue, thursday", [1, 3]),
    ("mon-fri,sun", [0, 1, 2, 3, 4, 6]),
])
def test_day_keys(tmp_path, key, days):
    _, channel = shop(tmp_path, f'"{key}": "09:00-10:00"')
    assert [index for index, day in enumerate(channel.hours.days) if day] == days


def test_hours_as_list_and_comma_separated(tmp_path):
    _, channel = shop(tmp_path, """
        mon: "09:00-12:30, 13:30-17:00"
        tue: ["13:30-17:00", "09:00-12:30"]
        wed: 20:00-02:00
        thu: Closed
    """)
    split = (Interval(540, 750), Interval(810, 1020))
    assert channel.hours.days[:4] == (split, split, (Interval(1200, 1560),), ())


# --- Loading: problems -------------------------------------------------------------

def test_missing_file_is_a_warning(tmp_path):
    contact, problems = load_contact(tmp_path / "nope.yml", NAME)
    assert contact is None
    assert problems == [Problem(NAME, None, "contact file not found: shoppers will see no contact channels",
                                "warning")]


def test_invalid_yaml_names_the_line(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        channels:
          - kind: phone
            label: [Call us
    """)
    assert contact is None
    assert problems == [Problem(NAME, 5, "invalid YAML: expected ',' or ']', but got '<stream end>' "
                                         "(while parsing a flow sequence started on line 4)")]


def test_bad_indentation_names_the_line(tmp_path):
    _, problems = load(tmp_path, "timezone: Europe/London\nchannels:\n  - kind: phone\n   label: Call us\n")
    assert [p.line for p in problems] == [4]
    assert problems[0].message.startswith("invalid YAML: ")


def test_control_character_is_invalid_yaml(tmp_path):
    _, problems = load(tmp_path, "timezone: Europe/London\nchannels:\n  - label: a\x07b\n")
    assert problems == [Problem(NAME, 3, "invalid YAML: special characters are not allowed")]


def test_absurdly_nested_yaml_is_a_problem_not_a_crash(tmp_path):
    _, problems = load(tmp_path, "channels: " + "[" * 5000)
    assert problems == [Problem(NAME, None, "invalid YAML: nested too deeply")]


def test_unreadable_file_is_a_problem(tmp_path):
    contact, problems = load_contact(tmp_path, NAME)
    assert contact is None
    assert problems == [Problem(NAME, None, "cannot read contact file: Is a directory")]


def test_non_utf8_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "contact.yml"
    path.write_bytes(b"timezone: Europe/London\nchannels:\n  - label: Caf\xe9\n")
    contact, problems = load_contact(path, NAME)
    assert contact is None
    assert problems == [Problem(NAME, 3, "file is not UTF-8 text: save it with UTF-8 encoding")]


def test_empty_file_is_a_problem(tmp_path):
    contact, problems = load(tmp_path, "# nothing yet\n")
    assert contact is None
    assert [p.message for p in problems] == ["contact file is empty: shoppers will see no contact channels"]


def test_unknown_time_zone_falls_back_to_utc(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/Londn
        channels:
          - kind: email
            value: help@alderandpine.example
    """)
    assert str(problems[0]) == (
        'articles/contact.yml:1: error: unknown time zone "Europe/Londn" (use a name like Europe/London); using UTC')
    assert contact.timezone == ZoneInfo("UTC")
    assert len(contact.channels) == 1


GOOD_CHANNEL = """
  - kind: email
    label: Email
    value: help@alderandpine.example
"""


def load_channel(tmp_path: Path, channel: str) -> tuple[Contact, list[Problem]]:
    """Loads a file with a good email channel, then ``channel`` (starting on line 7)."""
    text = "timezone: Europe/London\nchannels:" + GOOD_CHANNEL + textwrap.indent(
        textwrap.dedent(channel).strip("\n"), "  ") + "\n"
    path = tmp_path / "contact.yml"
    path.write_text(text, encoding="utf-8")
    return load_contact(path, NAME)


def only_error(problems: list[Problem]) -> tuple[int | None, str]:
    errors = [problem for problem in problems if problem.level == "error"]
    assert len(errors) == 1, problems
    return errors[0].line, errors[0].message


@pytest.mark.parametrize(("channel", "line", "message"), [
    ("""
     - kind: fax
       value: 0131 496 0123
     """, 6, 'unknown channel kind "fax": use phone, email, chat or social'),
    ("""
     - kind: phone
       label: Call us
     """, 6, "channel has no value (the number, address or text shoppers see)"),
    ("""
     - value: 0131 496 0123
     """, 6, "channel has no kind: use phone, email, chat or social"),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         funday: "09:00-18:00"
     """, 9, 'unknown day "funday": use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon-fri: "9am-5pm"
     """, 9, 'bad opening hours "9am-5pm": write times like "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon-fri: "25:00-26:00"
     """, 9, 'bad opening hours "25:00-26:00": 25:00 is not a time of day'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon-fri: "10:00-10:00"
     """, 9, 'bad opening hours "10:00-10:00": it opens and closes at the same time'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         sat: 10:00
     """, 9, 'bad opening hours "10:00": write times like "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon-fri: "09:00-18:00"
         fri: "09:00-12:00"
     """, 10, "Friday is given hours twice"),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         sat:
     """, 9, 'no hours given: write "closed" or times like "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours: "09:00-18:00"
     """, 8, 'hours must be a mapping of days to times, e.g. mon-fri: "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       closed:
         christmas: Christmas Day
     """, 9, '"christmas" is not a date: write closed days as YYYY-MM-DD'),
    ("""
     - kind: phone
       value: 0131 496 0123
       closed:
         2026-02-30: Nothing
     """, 9, '"2026-02-30" is not a real date'),
    ("""
     - kind: phone
       label: [Call, us]
       value: 0131 496 0123
     """, 7, "label must be text"),
    ("""
     - kind: chat
       value: Chat
       link: "javascript:alert(1)"
     """, 8, 'link "javascript:alert(1)" must start with https://, http://, mailto: or tel:'),
    ("""
     - kind: social
       value: Find us
       links:
         - label: Instagram
     """, 9, "each link needs a label and a url"),
    ("""
     - kind: phone
       kind: email
       value: help@alderandpine.example
     """, 7, '"kind" is given twice'),
    ("""
     - kind: phone
       label: ""
       value: 0131 496 0123
     """, 7, "label is empty"),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon: [["09:00-18:00"]]
     """, 9, 'hours must be text: write "closed" or times like "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       hours:
         mon: {open: "09:00"}
     """, 9, 'hours must be text: write "closed" or times like "09:00-18:00"'),
    ("""
     - kind: phone
       value: 0131 496 0123
       closed:
         2026-12-24: Christmas Eve
         "2026-12-24": Christmas Eve again
     """, 10, "2026-12-24 is given twice"),
    ("""
     - kind: social
       value: Find us
       links: https://instagram.example/alderandpine
     """, 8, "links must be a list of label and url"),
    ("""
     - kind: [phone]
       value: 0131 496 0123
     """, 6, "kind must be text"),
    ("""
     - kind: social
       value: Find us
       links: [Instagram]
     """, 8, "each link must be a mapping with keys label, url"),
    ("""
     - Call us on 0131 496 0123
     """, 6, "each channel must be a mapping with keys "
             "kind, label, value, link, response, hours, closed, links"),
])
def test_bad_channel_is_reported_on_its_line_and_left_out(tmp_path, channel, line, message):
    contact, problems = load_channel(tmp_path, channel)
    assert only_error(problems) == (line, message)
    assert [c.label for c in contact.channels] == ["Email"]


def test_good_channels_still_load_around_a_bad_one(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        channels:
          - kind: phone
            label: Call us
            value: 0131 496 0123
          - kind: fax
            label: Fax
            value: 0131 496 0000
          - kind: email
            label: Email
            value: help@alderandpine.example
    """)
    assert [str(p) for p in problems] == [
        'articles/contact.yml:6: error: unknown channel kind "fax": use phone, email, chat or social']
    assert [c.label for c in contact.channels] == ["Call us", "Email"]


def test_every_mistake_in_a_channel_is_reported_at_once(tmp_path):
    _, problems = load_channel(tmp_path, """
        - kind: fax
          hours:
            funday: "09:00-18:00"
    """)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (6, 'unknown channel kind "fax"'),
        (6, "channel has no value (the number, address or text shoppers see)"),
        (8, 'unknown day "funday"'),
    ]


def test_unknown_key_is_a_warning_and_the_channel_still_loads(tmp_path):
    contact, problems = load_channel(tmp_path, """
        - kind: phone
          value: 0131 496 0123
          colour: green
    """)
    assert problems == [Problem(NAME, 8, 'unknown key "colour" (ignored)', "warning")]
    assert [c.kind for c in contact.channels] == ["email", "phone"]


def test_bad_shop_closed_day_is_skipped_and_others_kept(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        closed:
          christmas: Christmas Day
          2027-01-01: New Year's Day
        channels:
          - kind: email
            value: help@alderandpine.example
    """)
    assert problems == [Problem(NAME, 3, '"christmas" is not a date: write closed days as YYYY-MM-DD')]
    assert contact.closed == {date(2027, 1, 1): "New Year's Day"}


def test_quoted_closed_date_is_still_a_date(tmp_path):
    contact, problems = load(tmp_path, """
        timezone: Europe/London
        closed:
          "2026-12-25": Christmas Day
        channels: []
    """)
    assert problems == []
    assert contact.closed == {date(2026, 12, 25): "Christmas Day"}


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- kind: phone\n", 1, "the contact file must be a mapping with keys timezone, closed, channels"),
    ("timezone: Europe/London\nchannels:\n  kind: phone\n", 3, "channels must be a list"),
    ("timezone: Europe/London\n", 1, "no channels: shoppers will see no contact channels"),
    ("channels: []\n", 1, "no timezone (e.g. timezone: Europe/London); using UTC"),
    ("timezone: [Europe/London]\nchannels: []\n", 1, "timezone must be text"),
    ("timezone: Europe/London\nclosed: 2026-12-25\nchannels: []\n", 2,
     "closed must be a mapping of dates to reasons, e.g. 2026-12-25: Christmas Day"),
])
def test_wrong_shapes_at_the_top_are_reported(tmp_path, text, line, message):
    _, problems = load(tmp_path, text)
    assert [(p.line, p.message) for p in problems] == [(line, message)]


# --- Opening hours text ----------------------------------------------------------------

@pytest.mark.parametrize(("hours", "lines"), [
    (WEEKDAY_HOURS, ["Mon–Fri 09:00–18:00", "Sat 10:00–16:00"]),
    ('mon-sun: "08:00-22:00"', ["Every day 08:00–22:00"]),
    ('mon-sat: "08:00-22:00"\nsun: "10:00-16:00"', ["Mon–Sat 08:00–22:00", "Sun 10:00–16:00"]),
    ('mon,wed: "09:00-17:00"\ntue: "09:00-12:30, 13:30-17:00"',
     ["Mon 09:00–17:00", "Tue 09:00–12:30, 13:30–17:00", "Wed 09:00–17:00"]),
    ('fri-sat: "20:00-02:00"\nsun: "12:00-24:00"', ["Fri–Sat 20:00–02:00", "Sun 12:00–24:00"]),
    ("mon-sun: closed", []),
])
def test_opening_hours_text_groups_days_with_equal_hours(tmp_path, hours, lines):
    _, channel = shop(tmp_path, hours)
    assert opening_hours_text(channel) == lines


def test_opening_hours_text_for_a_channel_without_hours_is_empty():
    assert opening_hours_text(Channel(kind="email", label="Email", value="help@example.com")) == []

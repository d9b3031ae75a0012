"""Contact channels and whether each one is open right now.

Editors own ``articles/contact.yml``; the contact panel on every page is
built from it, server-side, so a shopper always sees how to reach a person
and whether anyone is there. Loading never raises: mistakes come back as
problems with the line of the offending value, and a broken channel is left
out while the others still show.

Times are computed in the shop's time zone on local calendar dates and
compared in UTC, so daylight-saving changes (missing or repeated local
hours) never crash and never compare wall-clock times across offsets.
"""
from __future__ import annotations

import itertools
import pathlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from flask_babel import gettext, lazy_gettext

from kb.names import read_inside
from kb.problems import Problem

KINDS = ("phone", "email", "chat", "social")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# What shoppers read, in their language (editors' files and problems keep the English names above).
DAY_NAMES = (lazy_gettext("Monday"), lazy_gettext("Tuesday"), lazy_gettext("Wednesday"), lazy_gettext("Thursday"),
             lazy_gettext("Friday"), lazy_gettext("Saturday"), lazy_gettext("Sunday"))
DAY_ABBREVIATIONS = (lazy_gettext("Mon"), lazy_gettext("Tue"), lazy_gettext("Wed"), lazy_gettext("Thu"),
                     lazy_gettext("Fri"), lazy_gettext("Sat"), lazy_gettext("Sun"))
MONTH_ABBREVIATIONS = (lazy_gettext("Jan"), lazy_gettext("Feb"), lazy_gettext("Mar"), lazy_gettext("Apr"),
                       lazy_gettext("May"), lazy_gettext("Jun"), lazy_gettext("Jul"), lazy_gettext("Aug"),
                       lazy_gettext("Sep"), lazy_gettext("Oct"), lazy_gettext("Nov"), lazy_gettext("Dec"))

# A channel that will not open within this many days is just "Closed".
HORIZON_DAYS = 60
# An open stretch lasting at least this long is shown as "24 hours".
ALWAYS_OPEN = timedelta(days=7)

TOP_KEYS = ("timezone", "closed", "channels")
CHANNEL_KEYS = ("kind", "label", "value", "link", "response", "hours", "closed", "links")
LINK_KEYS = ("label", "url")

DAY_INDEX = {
    name: index
    for index, day in enumerate(WEEKDAYS)
    for name in (day.lower(), day[:3].lower())
}
DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
INTERVAL = re.compile(r"([0-9]{1,2}:[0-9]{2})\s*[-–]\s*([0-9]{1,2}:[0-9]{2})")
NULL_TAG = "tag:yaml.org,2002:null"
MINUTES_PER_DAY = 24 * 60

DAY_HELP = "use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri"
HOURS_HELP = '"closed" or times like "09:00-18:00"'


class Interval(NamedTuple):
    """Open from ``start`` to ``end``, in minutes after midnight of the day
    it starts on. An end past 1440 runs into the next day but still belongs
    to the starting day, so closing that day cancels all of it."""

    start: int
    end: int


@dataclass(frozen=True)
class WeeklyHours:
    """Open intervals for each weekday, Monday first; an empty day is closed."""

    days: tuple[tuple[Interval, ...], ...]


@dataclass(frozen=True)
class SocialLink:
    """A profile shown under a channel, e.g. Instagram."""

    label: str
    url: str


@dataclass(frozen=True)
class Channel:
    """One way to reach a person. No ``hours`` means messages are accepted
    any time and answered later, so the channel has no open/closed status."""

    kind: str
    label: str
    value: str
    link: str | None = None
    response: str | None = None
    hours: WeeklyHours | None = None
    closed: dict[date, str] = field(default_factory=dict)
    links: tuple[SocialLink, ...] = ()


@dataclass(frozen=True)
class ChannelStatus:
    """What the panel says about a staffed channel at one moment."""

    is_open: bool
    text: str


@dataclass(frozen=True)
class Contact:
    """The shop's channels; ``closed`` days apply to every staffed channel."""

    timezone: ZoneInfo
    channels: tuple[Channel, ...]
    closed: dict[date, str] = field(default_factory=dict)

    def status(self, channel: Channel, now: datetime) -> ChannelStatus | None:
        """Whether ``channel`` is open at ``now`` (any zone), and when that
        changes, worded for a shopper in the shop's time zone."""
        if channel.hours is None:
            return None
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        moment = now.astimezone(timezone.utc)
        today = now.astimezone(self.timezone).date()
        closed = self.closed | channel.closed
        for start, end in _stretches(channel.hours, closed, self.timezone, today):
            if start <= moment < end:
                return ChannelStatus(True, _open_text(end, moment, self.timezone, today))
            if moment < start:
                day, clock = _local_clock(start, self.timezone)
                opens = gettext("opens %(day)s %(time)s", day=_day_word(day, today), time=clock)
                return ChannelStatus(False, f"{_closed_prefix(closed, today)} — {opens}")
        return ChannelStatus(False, _closed_prefix(closed, today))

    def panel(self, now: datetime) -> list[tuple[Channel, ChannelStatus | None]]:
        """Every channel with its status at ``now``, in file order."""
        return [(channel, self.status(channel, now)) for channel in self.channels]


def opening_hours_text(channel: Channel) -> list[str]:
    """Lines like "Mon–Fri 09:00–18:00" for the panel, grouping consecutive
    days with the same hours; closed days are left out."""
    if channel.hours is None:
        return []
    texts = [", ".join(map(_interval_text, day)) for day in channel.hours.days]
    if texts[0] and len(set(texts)) == 1:
        return [gettext("Every day %(hours)s", hours=texts[0])]
    lines = []
    for text, group in itertools.groupby(range(7), key=texts.__getitem__):
        days = [str(DAY_ABBREVIATIONS[index]) for index in group]
        if text:
            names = days[0] if len(days) == 1 else f"{days[0]}–{days[-1]}"
            lines.append(f"{names} {text}")
    return lines


def load_contact(path: pathlib.Path, display_name: str) -> tuple[Contact | None, list[Problem]]:
    """The contact channels in ``path``, and every problem found in it.

    Returns no Contact only when nothing usable could be read at all.
    """
    report = _Report(display_name)
    root = _read_yaml(path, report)
    if root is None:
        return None, report.problems
    fields = _fields(root, TOP_KEYS, "the contact file", report)
    if fields is None:
        return None, report.problems
    zone = _zone(fields.get("timezone"), root, report)
    closed = _closed_days(fields.get("closed"), report)
    if "channels" not in fields:
        report.error(root, "no channels: shoppers will see no contact channels")
    channels = _channels(fields.get("channels"), report)
    return Contact(zone, channels, closed), report.problems


# --- Opening times ---------------------------------------------------------

def _stretches(hours: WeeklyHours, closed: dict[date, str], zone: ZoneInfo,
               today: date) -> list[tuple[datetime, datetime]]:
    """Open stretches in UTC from yesterday (its intervals may run past
    midnight) to the horizon, with touching intervals joined so that
    22:00-24:00 followed by 00:00-02:00 reads as one stretch."""
    days = (today + timedelta(days=offset) for offset in range(-1, HORIZON_DAYS + 1))
    spans = sorted(
        (_at(day, interval.start, zone), _at(day, interval.end, zone))
        for day in days
        if day not in closed
        for interval in hours.days[day.weekday()]
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if end <= start:  # swallowed by a daylight-saving gap
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``minutes`` after local midnight on ``day``.

    Built on the local date rather than by adding minutes to a datetime, so
    a 25- or 23-hour day still opens at 09:00 on the clock."""
    local_day = day + timedelta(days=minutes // MINUTES_PER_DAY)
    clock = time(minutes % MINUTES_PER_DAY // 60, minutes % 60)
    return datetime.combine(local_day, clock, tzinfo=zone).astimezone(timezone.utc)


def _open_text(end: datetime, moment: datetime, zone: ZoneInfo, today: date) -> str:
    """"Open now — until 18:00"; the day is named only when the stretch
    ends more than a day away, since a bare time would then mislead."""
    if end - moment >= ALWAYS_OPEN:
        return gettext("Open now — 24 hours")
    day, clock = _local_clock(end, zone, is_end=True)
    if end - moment <= timedelta(days=1):
        return gettext("Open now — until %(time)s", time=clock)
    return gettext("Open now — until %(day)s %(time)s", day=_day_word(day, today), time=clock)


def _local_clock(moment: datetime, zone: ZoneInfo, is_end: bool = False) -> tuple[date, str]:
    """The shop's local date and "HH:MM" for ``moment``. An end at midnight
    is written 24:00 on the day before, the way editors write it."""
    local = moment.astimezone(zone)
    if is_end and local.time() == time(0, 0):
        return local.date() - timedelta(days=1), "24:00"
    return local.date(), f"{local:%H:%M}"


def _day_word(day: date, today: date) -> str:
    """"today", "tomorrow", a weekday within the week, else "Mon 5 Jan"."""
    ahead = (day - today).days
    if ahead == 0:
        return gettext("today")
    if ahead == 1:
        return gettext("tomorrow")
    if ahead < 7:
        return str(DAY_NAMES[day.weekday()])
    return gettext("%(weekday)s %(day)s %(month)s", weekday=DAY_ABBREVIATIONS[day.weekday()], day=day.day,
                   month=MONTH_ABBREVIATIONS[day.month - 1])


def _closed_prefix(closed: dict[date, str], today: date) -> str:
    """"Closed", or "Closed today (Christmas Day)" on a closed day."""
    if today not in closed:
        return gettext("Closed")
    reason = closed[today]
    return gettext("Closed today (%(reason)s)", reason=reason) if reason else gettext("Closed today")


def _interval_text(interval: Interval) -> str:
    return f"{_hhmm(interval.start)}–{_hhmm(interval.end)}"


def _hhmm(minutes: int) -> str:
    """"HH:MM" for minutes after midnight; an end at midnight is "24:00"
    and an end past midnight is the next day's clock time."""
    if minutes != MINUTES_PER_DAY:
        minutes %= MINUTES_PER_DAY
    return f"{minutes // 60:02}:{minutes % 60:02}"


# --- Reading the file ------------------------------------------------------

@dataclass
class _Report:
    """Collects problems for one file, each pointing at a YAML node's line."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, node: yaml.Node, message: str) -> None:
        self.add(_line(node), message, "error")

    def warning(self, node: yaml.Node, message: str) -> None:
        self.add(_line(node), message, "warning")

    def add(self, line: int | None, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.path, line, message, level))

    def error_count(self) -> int:
        return sum(problem.level == "error" for problem in self.problems)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _read_yaml(path: pathlib.Path, report: _Report) -> yaml.Node | None:
    """The file's YAML as nodes, which keep line numbers for problems.

    Nodes are only composed, never constructed into Python objects, so no
    tag in an editor's file can build one."""
    try:
        data = read_inside(path, path.parent)
    except FileNotFoundError:
        report.add(None, "contact file not found: shoppers will see no contact channels", "warning")
        return None
    except OSError as error:
        report.add(None, f"cannot read contact file: {error.strerror}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        report.add(line, "file is not UTF-8 text: save it with UTF-8 encoding")
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:
        report.add(text.count("\n", 0, error.position) + 1, f"invalid YAML: {error.reason}")
        return None
    except yaml.MarkedYAMLError as error:
        report.add(error.problem_mark.line + 1, _yaml_message(error))
        return None
    except RecursionError:
        report.add(None, "invalid YAML: nested too deeply")
        return None
    if root is None:
        report.add(None, "contact file is empty: shoppers will see no contact channels")
    return root


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, plus where the unfinished part began: an unclosed
    bracket is reported at the end of the file, far from the mistake."""
    message = f"invalid YAML: {error.problem}"
    if error.context and error.context_mark:
        message += f" ({error.context} started on line {error.context_mark.line + 1})"
    return message


def _fields(node: yaml.Node, known: tuple[str, ...], what: str,
            report: _Report) -> dict[str, yaml.Node] | None:
    """A mapping's values by key. Empty values count as absent, unknown keys
    are warned about (likely typos) and a repeated key is an error."""
    if not isinstance(node, yaml.MappingNode):
        report.error(node, f"{what} must be a mapping with keys {', '.join(known)}")
        return None
    fields: dict[str, yaml.Node] = {}
    seen: set[str] = set()
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else "?"
        if name not in known:
            report.warning(key, f'unknown key "{name}" (ignored)')
        elif name in seen:
            report.error(key, f'"{name}" is given twice')
        else:
            seen.add(name)
            if value.tag != NULL_TAG:
                fields[name] = value
    return fields


def _text(node: yaml.Node, what: str, report: _Report) -> str | None:
    """The text exactly as typed: the raw scalar, so YAML 1.1 never turns a
    label like "yes" into True or a phone number into an int."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
        report.error(node, f"{what} must be text")
        return None
    text = node.value.strip()
    if not text:
        report.error(node, f"{what} is empty")
    return text or None


def _optional_text(fields: dict[str, yaml.Node], key: str, report: _Report) -> str | None:
    return _text(fields[key], key, report) if key in fields else None


def _url(node: yaml.Node, what: str, report: _Report) -> str | None:
    """A link shoppers can follow; other schemes (javascript:) are refused
    because the panel puts it in an href on every page."""
    url = _text(node, what, report)
    if url is not None and (":" not in url or url.partition(":")[0].lower() not in LINK_SCHEMES):
        report.error(node, f'{what} "{url}" must start with https://, http://, mailto: or tel:')
        return None
    return url


def _zone(node: yaml.Node | None, root: yaml.Node, report: _Report) -> ZoneInfo:
    """The shop's time zone; UTC after an error, so channels still show."""
    if node is None:
        report.error(root, "no timezone (e.g. timezone: Europe/London); using UTC")
        return ZoneInfo("UTC")
    name = _text(node, "timezone", report)
    if name is None:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        report.error(node, f'unknown time zone "{name}" (use a name like Europe/London); using UTC')
        return ZoneInfo("UTC")


def _closed_days(node: yaml.Node | None, report: _Report) -> dict[date, str]:
    """Closed dates and their reasons; a bad entry is reported and skipped."""
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        report.error(node, "closed must be a mapping of dates to reasons, e.g. 2026-12-25: Christmas Day")
        return {}
    closed: dict[date, str] = {}
    for key, value in node.value:
        day = _date(key, report)
        reason = "" if value.tag == NULL_TAG else _text(value, "the reason for a closed day", report)
        if day in closed:
            report.error(key, f"{day.isoformat()} is given twice")
        elif day is not None and reason is not None:
            closed[day] = reason
    return closed


def _date(node: yaml.Node, report: _Report) -> date | None:
    """A YYYY-MM-DD key, read from its text whether YAML saw a date or not."""
    text = node.value if isinstance(node, yaml.ScalarNode) else "?"
    match = DATE.fullmatch(text)
    if match is None:
        report.error(node, f'"{text}" is not a date: write closed days as YYYY-MM-DD')
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        report.error(node, f'"{text}" is not a real date')
        return None


def _channels(node: yaml.Node | None, report: _Report) -> tuple[Channel, ...]:
    """The channels without errors, in file order."""
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        report.error(node, "channels must be a list")
        return ()
    channels = []
    for item in node.value:
        errors = report.error_count()
        channel = _channel(item, report)
        if channel is not None and report.error_count() == errors:
            channels.append(channel)
    return tuple(channels)


def _channel(node: yaml.Node, report: _Report) -> Channel | None:
    """One channel, or None when it cannot be built. The caller also drops
    it on any error inside: a phone number shown without its hours would
    wrongly look reachable around the clock."""
    fields = _fields(node, CHANNEL_KEYS, "each channel", report)
    if fields is None:
        return None
    kind = _kind(fields.get("kind"), node, report)
    if "value" not in fields:
        report.error(node, "channel has no value (the number, address or text shoppers see)")
    value = _optional_text(fields, "value", report)
    label = _optional_text(fields, "label", report)
    response = _optional_text(fields, "response", report)
    link = _url(fields["link"], "link", report) if "link" in fields else None
    hours = _hours(fields.get("hours"), report)
    closed = _closed_days(fields.get("closed"), report)
    links = _links(fields.get("links"), report)
    if kind is None or value is None:
        return None
    return Channel(
        kind=kind,
        label=label or kind.capitalize(),
        value=value,
        link=link or _default_link(kind, value),
        response=response,
        hours=hours,
        closed=closed,
        links=links,
    )


def _kind(node: yaml.Node | None, channel: yaml.Node, report: _Report) -> str | None:
    if node is None:
        report.error(channel, "channel has no kind: use phone, email, chat or social")
        return None
    kind = _text(node, "kind", report)
    if kind is None:
        return None
    if kind.lower() not in KINDS:
        report.error(node, f'unknown channel kind "{kind}": use phone, email, chat or social')
        return None
    return kind.lower()


def _default_link(kind: str, value: str) -> str | None:
    """Phone numbers and addresses are clickable without editors writing
    the tel:/mailto: link themselves."""
    if kind == "phone":
        return "tel:" + value.replace(" ", "")
    if kind == "email":
        return "mailto:" + value
    return None


def _links(node: yaml.Node | None, report: _Report) -> tuple[SocialLink, ...]:
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        report.error(node, "links must be a list of label and url")
        return ()
    links = []
    for item in node.value:
        fields = _fields(item, LINK_KEYS, "each link", report)
        if fields is None:
            continue
        if "label" not in fields or "url" not in fields:
            report.error(item, "each link needs a label and a url")
            continue
        label = _text(fields["label"], "label", report)
        url = _url(fields["url"], "url", report)
        if label and url:
            links.append(SocialLink(label, url))
    return tuple(links)


def _hours(node: yaml.Node | None, report: _Report) -> WeeklyHours | None:
    """Weekly hours from day keys to intervals; days not listed are closed."""
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode):
        report.error(node, 'hours must be a mapping of days to times, e.g. mon-fri: "09:00-18:00"')
        return None
    days: dict[int, tuple[Interval, ...]] = {}
    for key, value in node.value:
        indices = _day_key(key, report)
        intervals = _intervals(value, report)
        if indices is None or intervals is None:
            continue
        for index in indices:
            if index in days:
                report.error(key, f"{WEEKDAYS[index]} is given hours twice")
                break
            days[index] = intervals
    return WeeklyHours(tuple(days.get(index, ()) for index in range(7)))


def _day_key(node: yaml.Node, report: _Report) -> list[int] | None:
    """Weekday indexes for a key like "mon", "monday", "sat,sun" or a range
    "mon-fri"; a range may wrap around the week ("fri-mon")."""
    text = node.value if isinstance(node, yaml.ScalarNode) else "?"
    indices = []
    for part in text.lower().split(","):
        bounds = [DAY_INDEX.get(name.strip()) for name in part.split("-")]
        if len(bounds) > 2 or None in bounds:
            report.error(node, f'unknown day "{part.strip()}": {DAY_HELP}')
            return None
        first, last = bounds[0], bounds[-1]
        indices.extend((first + step) % 7 for step in range((last - first) % 7 + 1))
    return indices


def _intervals(node: yaml.Node, report: _Report) -> tuple[Interval, ...] | None:
    """Intervals for one day key: "closed", "09:00-12:30, 13:30-17:00" or a
    list of such strings. Times are read from the raw text because YAML 1.1
    reads an unquoted 10:00 as the number 600."""
    if isinstance(node, yaml.ScalarNode) and node.tag != NULL_TAG:
        if node.value.strip().lower() == "closed":
            return ()
        items = [node]
    elif isinstance(node, yaml.SequenceNode):
        items = node.value
    else:
        given = "no hours given" if node.tag == NULL_TAG else "hours must be text"
        report.error(node, f"{given}: write {HOURS_HELP}")
        return None
    intervals = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            report.error(item, f"hours must be text: write {HOURS_HELP}")
            return None
        for piece in item.value.split(","):
            interval = _interval(piece.strip(), item, report)
            if interval is None:
                return None
            intervals.append(interval)
    return tuple(sorted(intervals))


def _interval(text: str, node: yaml.Node, report: _Report) -> Interval | None:
    """"09:00-18:00" as minutes; "24:00" may end a day, and an end before
    the start runs past midnight ("20:00-02:00")."""
    match = INTERVAL.fullmatch(text)
    if match is None:
        report.error(node, f'bad opening hours "{text}": write times like "09:00-18:00"')
        return None
    start_text, end_text = match.groups()
    start, end = _minutes(start_text), _minutes(end_text)
    if end_text == "24:00":
        end = MINUTES_PER_DAY
    for clock, minutes in ((start_text, start), (end_text, end)):
        if minutes is None:
            report.error(node, f'bad opening hours "{text}": {clock} is not a time of day')
            return None
    if start == end:
        report.error(node, f'bad opening hours "{text}": it opens and closes at the same time')
        return None
    return Interval(start, end if end > start else end + MINUTES_PER_DAY)


def _minutes(clock: str) -> int | None:
    """Minutes after midnight for "HH:MM", or None if no such time."""
    hours, minutes = map(int, clock.split(":"))
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None

"""The period an insights page or export covers: the last 7, 30 or 90 days, or from–to.

Days are UTC days, the days page views are counted in. The same query
arguments (``period=30`` or ``from=…&to=…``) address the page and every
CSV, so an export always holds what the page showed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
LONGEST_DAYS = 3 * 366


class PeriodError(ValueError):
    """The editor asked for a period we cannot show; the message says what to send instead."""


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # included
    preset: int | None = None  # 7, 30 or 90 when chosen from the presets
    language: str | None = None  # only votes, searches and views in this language; None: all

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def start(self) -> dt.datetime:
        """The first moment of the period, for comparing with stored timestamps."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=dt.timezone.utc)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return self.start + dt.timedelta(days=len(self.days))

    @property
    def previous(self) -> Period:
        """The period of the same length just before, for trends."""
        length = dt.timedelta(days=len(self.days))
        return Period(self.first - length, self.first - dt.timedelta(days=1), language=self.language)

    @property
    def args(self) -> dict[str, str]:
        """The query arguments that address this period (and language) again."""
        chosen = {"language": self.language} if self.language else {}
        if self.preset:
            return {"period": str(self.preset), **chosen}
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), **chosen}

    @property
    def label(self) -> str:
        if self.preset:
            return f"the last {self.preset} days"
        return f"{self.first:%d %b %Y} to {self.last:%d %b %Y}"


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"'{name}' should be a date like 2026-03-31, got {text!r}.") from None


def parse_period(args, today: dt.date, languages: tuple[str, ...] = ()) -> Period:
    """The period asked for in ``args`` (a request's query), or the last DEFAULT_DAYS days.

    ``language=de`` keeps the numbers of one of ``languages``.
    """
    language = args.get("language") or None
    if language is not None and language not in languages:
        raise PeriodError(f"'language' should be one of {', '.join(languages)}, got {language!r}.")
    return dataclasses.replace(_dates(args, today), language=language)


def _dates(args, today: dt.date) -> Period:
    if args.get("from") or args.get("to"):
        first = _date(args.get("from", ""), "from")
        last = _date(args.get("to") or today.isoformat(), "to")
        if last < first:
            raise PeriodError(f"'to' ({last}) is before 'from' ({first}): swap them.")
        if (last - first).days >= LONGEST_DAYS:
            raise PeriodError(f"Choose at most {LONGEST_DAYS} days; export a longer span in parts.")
        return Period(first, last)
    chosen = args.get("period", str(DEFAULT_DAYS))
    if chosen not in {str(days) for days in PRESETS}:
        raise PeriodError(f"'period' should be one of {', '.join(map(str, PRESETS))}, got {chosen!r}.")
    days = int(chosen)
    return Period(today - dt.timedelta(days=days - 1), today, days)

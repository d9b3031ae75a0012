"""Interface text, dates and numbers in the shopper's language, from Flask-Babel catalogs.

The catalogs' sources (``translations/<code>/LC_MESSAGES/messages.po``) are
kept in git; ``./dev serve`` and ``./dev test`` compile them into ``.mo``
files. A language without a compiled catalog still works: its articles are
served, and the interface around them falls back to the default language's
words, which the log says once at start-up.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flask import Flask, g, has_request_context
from flask_babel import Babel, format_date, format_decimal, get_translations, gettext

from kb import ROOT
from kb.languages import current_language

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = ROOT / "translations"


def _locale() -> str:
    return current_language().replace("-", "_")


def long_date(day: dt.date) -> str:
    """"14 October 2026", "14. Oktober 2026": the pattern is itself translated."""
    # Translators: a CLDR date pattern (d day, MMMM month name, y year), e.g. "d. MMMM y".
    return format_date(day, gettext("d MMMM y"))


def number(value: int | float) -> str:
    """"1,234" or "1.234"."""
    return format_decimal(value)


def _catalog():
    """The request's translations, looked up once per request.

    Flask-Babel's template functions look them up again for every string:
    some 160 context lookups on an article page, a tenth of the time it
    takes to render one.
    """
    if not has_request_context():
        return get_translations()
    catalog = g.get("kb_catalog")
    if catalog is None:
        catalog = g.kb_catalog = get_translations()
    return catalog


def _install_template_gettext(app: Flask) -> None:
    """Templates' ``_()``, ``ngettext`` and ``{% trans %}`` from ``_catalog``, as Flask-Babel installs them."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _catalog().ugettext(text),
        ngettext=lambda singular, plural, count: _catalog().ungettext(singular, plural, count),
        pgettext=lambda context, text: _catalog().upgettext(context, text),
        npgettext=lambda context, singular, plural, count: _catalog().unpgettext(context, singular, plural, count),
        newstyle=True)


def compile_hint(app: Flask) -> None:
    """Say at start-up which languages have no compiled catalog (their interface shows in the default language)."""
    folder = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
    for code in app.config["KB_LANGUAGES"][1:]:
        catalog = folder / code.replace("-", "_") / "LC_MESSAGES" / "messages.mo"
        if not catalog.is_file():
            log.warning("no compiled interface catalog for '%s' (%s): its menus and buttons show in the default "
                        "language; run 'pybabel compile -d translations' (./dev serve does)", code, catalog)


def compile_catalogs(folder: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older; what ``pybabel compile`` does.

    For the test suite run straight with pytest on a fresh clone (``./dev``
    runs pybabel itself); returns the catalogs written.
    """
    written = []
    for source in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        target = source.with_suffix(".mo")
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as po:
            catalog = read_po(po)
        with target.open("wb") as mo:
            write_mo(mo, catalog)
        written.append(target)
    return written


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["KB_LANGUAGES"][0].replace("-", "_")
    Babel(app, locale_selector=_locale)
    _install_template_gettext(app)
    compile_hint(app)
    app.jinja_env.filters.update(long_date=long_date, number=number)

"""Which languages the help center speaks, and which one a request is in.

``KB_LANGUAGES`` lists language codes, the default first. The default
language keeps the addresses it always had (``/articles/<slug>``), so links
already pasted into replies keep working; every other language has its own
prefix (``/de/articles/<slug>``). Only the home page, where shoppers
arrive without having chosen, follows the browser's ``Accept-Language``;
everywhere else the address says the language, so a shared link opens in
the language it was copied in.

Routes that exist in every language are declared once with ``localized``;
``url_for`` then builds links in the language of the page being served,
so templates never pass the language themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Flask, abort, current_app, g, has_request_context, redirect, request, url_for
from werkzeug.routing import BaseConverter

from kb.content import Article, Library

CODE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,4})?")
ARG = "lang"  # the query argument that picks the home page's language over the browser's


class LanguageError(ValueError):
    """KB_LANGUAGES cannot be read; the message says what to write instead."""


def content_folder(content_dir: Path, language: str | None) -> tuple[Path, str]:
    """Where a language's own files are (``de/``), and the name problems give it; the content folder for None."""
    if language is None:
        return content_dir, content_dir.name
    return content_dir / language, f"{content_dir.name}/{language}"


def parse_languages(value) -> tuple[str, ...]:
    """Codes from "en,de" (the environment) or a list (tests), the default first."""
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = tuple(dict.fromkeys(str(item).strip().lower() for item in items if str(item).strip()))
    bad = [code for code in codes if not CODE.fullmatch(code)]
    if bad or not codes:
        raise LanguageError(f"KB_LANGUAGES should list language codes, the default first, like 'en,de'; "
                            f"got {value!r}")
    return codes


class LanguageConverter(BaseConverter):
    """The ``/de`` of a localized address; which codes are served is checked after matching."""

    regex = CODE.pattern


def languages() -> tuple[str, ...]:
    return current_app.config["KB_LANGUAGES"]


def default_language() -> str:
    return languages()[0]


def language_name(code: str, in_language: str | None = None) -> str:
    """The language's name in itself ("Deutsch"), as a switcher shows it, or in ``in_language`` ("Englisch")."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name((in_language or code).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


def current_language() -> str:
    """The language of the page being served; the default outside a request."""
    if not has_request_context():
        return default_language()
    chosen = g.get("kb_language")
    if chosen is None:  # no route matched (a 404): the address's prefix still tells
        first = request.path.strip("/").split("/", 1)[0]
        chosen = first if first in languages()[1:] else default_language()
    return chosen


def library_for(language: str | None = None) -> Library:
    """The articles, topics and contact channels of a language; the default's when it has none."""
    default = current_app.extensions["kb.library"]
    language = language or current_language()
    return default.translations.get(language, default)


def prefix(language: str | None) -> str | None:
    """The ``lang`` URL value for a language: None (no prefix) for the default."""
    return None if not language or language == default_language() else language


def localized(bp: Blueprint, rule: str, **options):
    """Declare a route at ``rule`` for the default language and at ``/<lang>rule`` for the others."""
    defaults = options.pop("defaults", {})

    def decorate(view):
        bp.add_url_rule(rule, view_func=view, defaults={**defaults, ARG: None}, **options)
        bp.add_url_rule(f"/<language:{ARG}>{rule}", view_func=view, defaults=defaults, **options)
        return view
    return decorate


def _localized_endpoints() -> frozenset[str]:
    endpoints = current_app.extensions.get("kb.localized_endpoints")
    if endpoints is None:
        endpoints = frozenset(rule.endpoint for rule in current_app.url_map.iter_rules() if ARG in rule.arguments)
        current_app.extensions["kb.localized_endpoints"] = endpoints
    return endpoints


def _take_language(endpoint: str | None, values: dict | None) -> None:
    """Read the language from the address (or, on the home page, the browser) before the view runs."""
    if not values or ARG not in values:
        return
    code = values.pop(ARG)
    if code is None:
        g.kb_language = _home_language() if endpoint == "site.home" else default_language()
    elif code == default_language():  # /en/articles/x: the default language has no prefix
        abort(redirect(request.full_path.replace(f"/{code}", "", 1).rstrip("?") or "/", 301))
    elif code not in languages():
        abort(404)
    else:
        g.kb_language = code


def _home_language() -> str:
    """The home page's language: one chosen in the switcher, else the browser's, else the default."""
    asked = request.args.get(ARG)
    if asked in languages():
        return asked
    return request.accept_languages.best_match(languages(), default=default_language())


def home_follows_browser() -> bool:
    """True on the unprefixed home page, whose language (and so its bytes) depends on Accept-Language."""
    return request.endpoint == "site.home" and request.path == "/"


def _add_language(endpoint: str, values: dict) -> None:
    """Links built while serving a German page lead to German pages, unless told otherwise."""
    if ARG in values or endpoint not in _localized_endpoints():
        return
    code = prefix(current_language())
    if code:
        values[ARG] = code


# ---------------------------------------------------------------- the same page in another language

def original_slug(slug: str, language: str) -> str | None:
    """The default-language slug of the article at ``/<language>/articles/<slug>``; None when there is none."""
    default = current_app.extensions["kb.library"]
    translated = default.translations.get(language)
    if translated is not None:
        own = translated.aliases.get(slug, slug)
        if own in translated.originals:
            return translated.originals[own]
    resolved = default.aliases.get(slug, slug)
    return resolved if resolved in default.articles else None


def article_in(original: str, language: str) -> Article | None:
    """The article shoppers read in ``language`` for a default-language slug: its translation, or None."""
    default = current_app.extensions["kb.library"]
    if language == default_language():
        return default.articles.get(original)
    translated = default.translations.get(language)
    slug = translated.by_original.get(original) if translated else None
    return translated.articles.get(slug) if slug else None


def article_languages(original: str) -> list[str]:
    """The languages an article is written in (not served as a fallback), the default first."""
    return [code for code in languages() if (found := article_in(original, code)) is not None and not found.draft]


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str
    url: str
    current: bool
    written: bool = True  # False: the page would show the original, not a translation


def language_links() -> list[Alternate]:
    """This page in each language, for the switcher on every page."""
    current = current_language()
    endpoint = request.endpoint if request.endpoint in _localized_endpoints() and request.url_rule else None
    args = dict(request.view_args or {})
    links = []
    for code in languages():
        written = True
        if endpoint == "site.article":
            original = original_slug(args.get("slug", ""), current)
            found = article_in(original, code) if original else None
            written = found is not None and not found.draft
            slug = found.slug if written else (original or args.get("slug", ""))
            url = url_for(endpoint, slug=slug, **{ARG: prefix(code)})
        elif endpoint == "site.home" or endpoint is None:
            # "/" would follow the browser again: the default language's home says it was chosen.
            url = url_for("site.home", **{ARG: prefix(code)})
            if code == default_language():
                url += f"?{ARG}={code}"
        else:
            query = {k: v for k, v in request.args.items() if k != ARG}
            url = url_for(endpoint, **args, **query, **{ARG: prefix(code)})
        links.append(Alternate(code, language_name(code), url, code == current, written))
    return links


def init_app(app: Flask) -> None:
    """Read KB_LANGUAGES and route every request to its language; call before the blueprints register."""
    app.config["KB_LANGUAGES"] = parse_languages(app.config["KB_LANGUAGES"])
    app.url_map.converters["language"] = LanguageConverter
    app.url_value_preprocessor(_take_language)
    app.url_defaults(_add_language)
    app.jinja_env.globals.update(language_links=language_links, current_language=current_language,
                                 default_language=default_language, language_name=language_name)

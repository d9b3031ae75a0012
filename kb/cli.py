"""Commands for editors and operators: ``flask --app kb check`` and ``flask --app kb index``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kb.content import load_library
from kb.search import rebuild
from kb.search.checks import check_search


@click.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def check_command(path: Path | None) -> None:
    """Check a content folder (default: the configured one) and list every problem."""
    folder = path or Path(current_app.config["KB_CONTENT_DIR"])
    if not folder.is_dir():
        raise click.ClickException(f"{folder} is not a folder: pass the content folder, e.g. 'articles'")
    library = load_library(folder)
    problems = [*library.problems, *check_search(folder, library)]
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{len(library.articles)} articles checked: {errors} errors, {warnings} warnings")
    if errors:
        raise SystemExit(1)


@click.command("index")
@with_appcontext
def index_command() -> None:
    """Build the search index into a fresh folder, then switch the running app to it at once.

    Reads the content folder again rather than using the app's copy, so the
    index matches what is on disk now.
    """
    index_dir = Path(current_app.config["KB_INDEX_DIR"])
    library = load_library(Path(current_app.config["KB_CONTENT_DIR"]))
    generation = rebuild(index_dir, list(library.articles.values()))
    published = sum(not a.draft for a in library.articles.values())
    click.echo(f"Indexed {published} articles into {generation}; the help center now searches it.")


def init_app(app: Flask) -> None:
    app.cli.add_command(check_command)
    app.cli.add_command(index_command)

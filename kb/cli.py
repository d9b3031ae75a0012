"""Commands for editors and operators: ``flask --app kb check`` and ``flask --app kb index``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kb.checker import FORMATS, RENDERERS, check_folder
from kb.translations import load_languages
from kb.history import HistoryError
from kb.search import rebuild


@click.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(FORMATS), default="text",
              help="text for people, brief for start-up logs (long lists summarised), json for tools, "
                   "github for GitHub Actions annotations.")
@click.option("--since", metavar="REF", help="Also fail when a slug or section published at this git ref is gone.")
@with_appcontext
def check_command(path: Path | None, output: str, since: str | None) -> None:
    """Check a content folder (default: the configured one) and list every problem."""
    folder = path or Path(current_app.config["KB_CONTENT_DIR"])
    if not folder.is_dir():
        raise click.ClickException(f"{folder} is not a folder: pass the content folder, e.g. 'articles'")
    try:
        report = check_folder(folder, Path(current_app.static_folder), since=since,
                              languages=current_app.config["KB_LANGUAGES"])
    except HistoryError as error:
        raise click.ClickException(str(error))
    click.echo(RENDERERS[output](report))
    if report.errors:
        raise SystemExit(1)


@click.command("index")
@click.option("--wait", is_flag=True, help="With semantic search on, embed the new passages before returning "
                                            "instead of in the background.")
@with_appcontext
def index_command(wait: bool) -> None:
    """Build the search index into a fresh folder, then switch the running app to it at once.

    Reads the content folder again rather than using the app's copy, so the
    index matches what is on disk now.
    """
    index_dir = Path(current_app.config["KB_INDEX_DIR"])
    library = load_languages(Path(current_app.config["KB_CONTENT_DIR"]), current_app.config["KB_LANGUAGES"])
    for language, each in [(None, library), *library.translations.items()]:
        try:
            generation = rebuild(index_dir, list(each.articles.values()), language, wait)
        except OSError as error:  # a full or read-only disk: the site keeps the index it has
            raise click.ClickException(f"the search index could not be built in {index_dir}: {error}. "
                                       "The help center keeps searching the index it had.") from error
        published = sum(not a.draft for a in each.articles.values())
        click.echo(f"Indexed {published} articles into {generation}; the help center now searches it.")


def init_app(app: Flask) -> None:
    app.cli.add_command(check_command)
    app.cli.add_command(index_command)

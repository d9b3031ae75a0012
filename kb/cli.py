"""Commands for editors and operators: ``flask --app kb check``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kb.content import load_library


@click.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def check_command(path: Path | None) -> None:
    """Check a content folder (default: the configured one) and list every problem."""
    folder = path or Path(current_app.config["KB_CONTENT_DIR"])
    if not folder.is_dir():
        raise click.ClickException(f"{folder} is not a folder: pass the content folder, e.g. 'articles'")
    library = load_library(folder)
    for problem in library.problems:
        click.echo(str(problem))
    errors = sum(p.level == "error" for p in library.problems)
    warnings = len(library.problems) - errors
    click.echo(f"{len(library.articles)} articles checked: {errors} errors, {warnings} warnings")
    if errors:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(check_command)

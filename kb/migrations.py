"""``flask --app kb db …``: Flask-Migrate's commands, imported only when one of them runs.

Flask-Migrate brings Alembic, Mako and Pygments, about 8 MB in every process
that imports it, and a serving worker never migrates anything. This group
stands in for Flask-Migrate's under the same name and hands over to it at
the moment a ``db`` command is asked for.
"""
from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import ScriptInfo

from kb import ROOT

MIGRATIONS_DIR = ROOT / "migrations"


def _flask_migrate_group(ctx: click.Context) -> click.Group:
    """Set Flask-Migrate up on the app the command line loaded, and return its ``db`` group."""
    # Alembic says at INFO which of its plugins it set up, seven lines at every `db upgrade`, that no one acts on.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from flask_migrate import Migrate
    from flask_migrate.cli import db as commands

    from kb.extensions import db

    Migrate(ctx.ensure_object(ScriptInfo).load_app(), db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    return commands


class MigrationCommands(click.Group):
    """Stands in for Flask-Migrate's ``db`` group until the command line asks for it."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # Click runs whatever command the context names: from here on, Flask-Migrate's own group.
        return _flask_migrate_group(parent).make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    app.cli.add_command(MigrationCommands("db", help="Database migrations (Flask-Migrate): upgrade, migrate, …"))

"""``python -m kb check``: the editors' commands without setting FLASK_APP.

A shop's content repository runs the checker in CI, where ``--app kb`` is
one more thing to get wrong.
"""
from flask.cli import FlaskGroup

from kb import create_app

FlaskGroup(create_app=create_app, help="kb: the help center's commands.").main(prog_name="python -m kb")

"""``flask --app kb requests send``: the outbox sender, a process of its own beside gunicorn."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from kb.contact_requests import outbox, transports

requests_group = AppGroup("requests", help="Deliver contact requests from the outbox.")


@requests_group.command("send")
@click.option("--once", is_flag=True, help="Send what is due now and stop, instead of running until stopped.")
def send_command(once: bool) -> None:
    """Deliver stored requests by e-mail and webhook, retrying with backoff; delete them after the retention period.

    Safe to run on every node: each delivery is claimed by one sender.
    """
    if once:
        click.echo(f"Delivered {outbox.send_due(transports.senders())}.")
        return
    click.echo("Sending contact requests from the outbox (Ctrl+C stops it).")
    outbox.run(transports.senders(), current_app.config["KB_REQUESTS_POLL_SECONDS"])


def init_app(app: Flask) -> None:
    app.cli.add_command(requests_group)

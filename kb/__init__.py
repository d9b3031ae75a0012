"""kb: a help center for an online shop, built from Markdown files in git."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

# One BLAS thread unless told otherwise, set before anything loads numpy: gunicorn
# runs a worker per core, and a question is a dozen tokens, too small to split;
# two threads per worker on a busy node made a query five times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("kb")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides the environment, for tests."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(_defaults(app.instance_path))
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from kb import (addresses, api, askus, caching, cli, contact_panel, contact_requests, extensions, feedback, health,
                    i18n, insights, languages, migrations, pageviews, prerender, search, security, seo, sessions, views)
    from kb.translations import load_languages
    from kb.widget import views as widget

    languages.init_app(app)
    library = load_languages(Path(app.config["KB_CONTENT_DIR"]), app.config["KB_LANGUAGES"])
    for problem in library.problems:
        log.log(logging.WARNING if problem.level == "warning" else logging.ERROR, "%s", problem)
    app.extensions["kb.library"] = library
    extensions.init_app(app)
    migrations.init_app(app)
    i18n.init_app(app)
    search.init_app(app)
    security.init_app(app)
    sessions.init_app(app)
    views.init_app(app)
    contact_panel.init_app(app)
    askus.init_app(app)
    contact_requests.init_app(app)
    feedback.init_app(app)
    addresses.init_app(app)
    seo.init_app(app)
    caching.init_app(app)
    api.init_app(app)
    widget.init_app(app)
    health.init_app(app)
    pageviews.init_app(app)
    prerender.init_app(app)
    insights.init_app(app)
    cli.init_app(app)
    return app


def _defaults(instance_path: str) -> dict:
    """Every setting comes from the environment, with defaults for one machine."""
    env = os.environ
    return {
        "KB_CONTENT_DIR": env.get("KB_CONTENT_DIR", str(ROOT / "articles")),
        "KB_INDEX_DIR": env.get("KB_INDEX_DIR", str(Path(instance_path) / "index")),
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{Path(instance_path) / 'kb.sqlite'}"),
        "SECRET_KEY": env.get("SECRET_KEY"),
        "KB_SITE_NAME": env.get("KB_SITE_NAME", "Alder & Pine Help Center"),
        # Languages shoppers can read, the default first (README "Languages"); others live under /<code>/.
        "KB_LANGUAGES": env.get("KB_LANGUAGES", "en,de"),
        # A query matching this is an order or tracking number: it leads to the
        # tracking article and is never stored. Default: AP-1234567, 12345678,
        # Royal Mail AB123456789GB and UPS 1Z... numbers.
        "KB_ORDER_NUMBER_PATTERN": env.get(
            "KB_ORDER_NUMBER_PATTERN",
            r"(?i)(?<![\w-])(?:(?:ap-?)?\d{6,12}|[a-z]{2}\d{9}[a-z]{2}|1z[0-9a-z]{16})(?![\w-])"),
        "KB_TRACKING_ARTICLE": env.get("KB_TRACKING_ARTICLE", "track-your-order"),
        "KB_BASE_URL": env.get("KB_BASE_URL", ""),
        # Whoever sends it as a bearer token sees why /healthz failed (README "Running in production").
        "KB_HEALTH_TOKEN": env.get("KB_HEALTH_TOKEN", ""),
        "KB_CORS_ORIGINS": tuple(env.get("KB_CORS_ORIGINS", "").split()),
        "KB_API_RATE_LIMIT": env.get("KB_API_RATE_LIMIT", "120 per minute"),
        # The editors' insights page (README "Insights"); no password: nobody can log in.
        "KB_EDITOR_PASSWORD": env.get("KB_EDITOR_PASSWORD", ""),
        "KB_EDITOR_LOGIN_RATE_LIMIT": env.get("KB_EDITOR_LOGIN_RATE_LIMIT", "5 per minute"),
        # The largest request body read (a vote with a 1,000-character comment is under 13 KB); larger: 413.
        "KB_MAX_REQUEST_BYTES": int(env.get("KB_MAX_REQUEST_BYTES", str(16 * 1024))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Votes and comments: see README "Was this helpful?".
        "KB_PROXY_COUNT": int(env.get("KB_PROXY_COUNT", "0")),
        "KB_FEEDBACK_RATE_LIMIT": env.get("KB_FEEDBACK_RATE_LIMIT", "20 per minute"),
        "KB_FEEDBACK_MIN_VOTES": int(env.get("KB_FEEDBACK_MIN_VOTES", "10")),
        "KB_FEEDBACK_TALLY_SECONDS": float(env.get("KB_FEEDBACK_TALLY_SECONDS", "30")),
        # Page views wait this long in each worker before one write (kb/pageviews.py).
        "KB_VIEW_FLUSH_SECONDS": float(env.get("KB_VIEW_FLUSH_SECONDS", "10")),
        "KB_SQLITE_BUSY_TIMEOUT_MS": int(env.get("KB_SQLITE_BUSY_TIMEOUT_MS", "5000")),
        "KB_SQLITE_SYNCHRONOUS": env.get("KB_SQLITE_SYNCHRONOUS", "NORMAL"),
        # Semantic search (README "Semantic search"): needs requirements-semantic.txt.
        "KB_SEMANTIC": env.get("KB_SEMANTIC", "1").lower() not in ("0", "false", "no", "off"),
        "KB_SEMANTIC_MODEL": env.get("KB_SEMANTIC_MODEL", ""),  # the model folder; default: the installed package's
        # Contact requests (README "Contact requests"): the outbox delivers them by e-mail and/or webhook.
        "KB_SMTP_HOST": env.get("KB_SMTP_HOST", ""),
        "KB_SMTP_PORT": int(env.get("KB_SMTP_PORT", "587")),
        "KB_SMTP_USERNAME": env.get("KB_SMTP_USERNAME", ""),
        "KB_SMTP_PASSWORD": env.get("KB_SMTP_PASSWORD", ""),
        "KB_SMTP_STARTTLS": env.get("KB_SMTP_STARTTLS", "1").lower() not in ("0", "false", "no", "off"),
        "KB_REQUESTS_EMAIL_TO": env.get("KB_REQUESTS_EMAIL_TO", ""),
        "KB_REQUESTS_EMAIL_FROM": env.get("KB_REQUESTS_EMAIL_FROM", "help-center@localhost"),
        "KB_REQUESTS_WEBHOOK_URL": env.get("KB_REQUESTS_WEBHOOK_URL", ""),
        "KB_REQUESTS_WEBHOOK_SECRET": env.get("KB_REQUESTS_WEBHOOK_SECRET", ""),
        "KB_REQUESTS_RATE_LIMIT": env.get("KB_REQUESTS_RATE_LIMIT", "5 per hour"),
        "KB_REQUESTS_REFERENCE_PREFIX": env.get("KB_REQUESTS_REFERENCE_PREFIX", "AP"),
        "KB_REQUESTS_RETRY_SECONDS": float(env.get("KB_REQUESTS_RETRY_SECONDS", "2")),
        "KB_REQUESTS_RETRY_MAX_SECONDS": float(env.get("KB_REQUESTS_RETRY_MAX_SECONDS", "20")),
        "KB_REQUESTS_MAX_ATTEMPTS": int(env.get("KB_REQUESTS_MAX_ATTEMPTS", "200")),
        "KB_REQUESTS_POLL_SECONDS": float(env.get("KB_REQUESTS_POLL_SECONDS", "1")),
        "KB_REQUESTS_RETENTION_DAYS": int(env.get("KB_REQUESTS_RETENTION_DAYS", "90")),
        # Editors preview drafts locally; never set on the public site.
        "KB_SHOW_DRAFTS": env.get("KB_SHOW_DRAFTS", "0").lower() in ("1", "true", "yes", "on"),
    }


def _instance_secret(instance: Path) -> str:
    """A random key kept in instance/, so sessions survive restarts without setup.

    Several nodes behind a load balancer must share SECRET_KEY through the
    environment instead: each node would otherwise make its own.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f"secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic: the first worker to start wins, the others read its key
        except FileExistsError:
            pass
        draft.unlink()
    return path.read_text().strip()

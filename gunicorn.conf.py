"""gunicorn settings for kb; every value can be overridden from the environment."""
import gc
import os
import time

bind = f"{os.environ.get('KB_HOST', '127.0.0.1')}:{os.environ.get('KB_PORT', '5000')}"
workers = int(os.environ.get("KB_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
# The master loads the app once (content parsed and rendered, templates, the
# search index checked or built) and every worker is a fork of it: a worker
# is serving within a second whatever the content's size (loading 20,000
# articles takes minutes, past the 30 s a worker may stay silent), and the
# loaded articles are memory the workers share instead of one copy each.
# New content needs a restart of the master (not a HUP): the preloaded app
# is not read again. KB_PRELOAD=0 loads the app in each worker instead.
preload_app = os.environ.get("KB_PRELOAD", "1").lower() not in ("0", "false", "no", "off")
# One line per request with its time in ms, e.g.
#   [24/Nov/2026:09:50:01 +0000] 127.0.0.1 203.0.113.9 "GET /articles/track-your-order HTTP/1.0" 200 10512 3ms
# the client's address (taken from X-Forwarded-For when KB_PROXY_COUNT is set), then the
# X-Forwarded-For header as received ("-" without a balancer).
accesslog = os.environ.get("KB_ACCESS_LOG", "-")
access_log_format = '%(t)s %(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'


def when_ready(server):
    """Before the first fork: compile the templates, render every page, read the search index (kb.search.read_ahead),
    then hide everything from the GC.

    Compiled once here, the templates are every worker's without each
    compiling them on its first pages (tens of ms a page); so are the pages
    rendered ahead (``kb.prerender``, with KB_BASE_URL set). A collection in
    a worker writes to every object it visits, which copies the page holding
    it: the shared articles would become one copy per worker within minutes.
    Frozen objects are never visited.
    """
    if server.cfg.preload_app:
        from kb.prerender import pages_ahead, prerender
        from kb.search import read_ahead

        app = server.app.wsgi()
        for name in app.jinja_env.list_templates(extensions=["html", "xml", "txt"]):
            app.jinja_env.get_template(name)
        started = time.perf_counter()
        rendered = prerender(app)
        if rendered:  # none without KB_BASE_URL: nothing worth a line
            server.log.info("%d pages rendered ahead in %.1f s (%d KiB)", rendered, time.perf_counter() - started,
                            pages_ahead(app).size // 1024)
        started = time.perf_counter()
        ahead = read_ahead(app)
        server.log.info("search index read ahead in %.1f s (%d MiB)", time.perf_counter() - started, ahead // 2**20)
        gc.collect()
        gc.freeze()


def post_fork(server, worker):
    """In each new worker: its own database connections, its search indexes opened before the first request,
    and its turn to write page views (kb.pageviews: the workers take turns, spread over the interval)."""
    if server.cfg.preload_app:
        from kb.extensions import after_fork
        from kb.search import open_indexes

        app = worker.app.wsgi()
        after_fork(app)
        open_indexes(app)
        app.extensions["kb.views"].stagger(worker.age % server.num_workers / server.num_workers)

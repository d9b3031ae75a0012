"""gunicorn settings for kb; every value can be overridden from the environment."""
import os

bind = f"{os.environ.get('KB_HOST', '127.0.0.1')}:{os.environ.get('KB_PORT', '5000')}"
workers = int(os.environ.get("KB_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
# One line per request with its time in ms, e.g.
#   [24/Nov/2026:09:50:01 +0000] 127.0.0.1 203.0.113.9 "GET /articles/track-your-order HTTP/1.0" 200 10512 3ms
# the client's address (taken from X-Forwarded-For when KB_PROXY_COUNT is set), then the
# X-Forwarded-For header as received ("-" without a balancer).
accesslog = os.environ.get("KB_ACCESS_LOG", "-")
access_log_format = '%(t)s %(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms'

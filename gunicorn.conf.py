"""gunicorn settings for kb; every value can be overridden from the environment."""
import os

bind = f"{os.environ.get('KB_HOST', '127.0.0.1')}:{os.environ.get('KB_PORT', '5000')}"
workers = int(os.environ.get("KB_WORKERS", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("KB_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

"""gunicorn settings for Muza: `gunicorn -c server/gunicorn.conf.py 'server:create_app()'`.

HOST, PORT and WEB_CONCURRENCY (worker processes) come from the environment.
The app only serves files, so a few threaded workers go a long way.
"""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
timeout = 30
# Build the app (and its model catalogue and static file index) once, before forking,
# so every worker serves the same catalogue.
preload_app = True
graceful_timeout = 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

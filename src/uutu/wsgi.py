"""WSGI entry point: ``gunicorn uutu.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uutu.settings")
application = get_wsgi_application()

"""Celery application: studies run here when Redis is configured (in-process otherwise)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dso_portal.settings.local")

app = Celery("dso_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

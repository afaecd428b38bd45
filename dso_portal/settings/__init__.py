"""Settings package: base (shared), local (developer default), test, production.

DJANGO_SETTINGS_MODULE picks one; manage.py defaults to ``dso_portal.settings.local``.
"""

"""Pagination with a ceiling: ``?limit=`` larger than ``API_MAX_PAGE_SIZE`` is clamped (DRF's
documented behaviour for ``max_limit``), so no request can ask the database for a bigint LIMIT."""
from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = getattr(settings, "API_MAX_PAGE_SIZE", 500)

"""A generic API test case, NetBox style: every model the API exposes gets the same checks
from one table of :class:`ApiModelCase` rows.

- list: the object is listed for a user who may see it;
- detail: it is returned by id;
- foreign: a user of another organisation gets 404 (tenant-owned models: the object is simply
  absent) or 403 (DSO-only models: the role is refused before any lookup);
- anonymous: 401/403 on list and detail;
- query count: listing many objects costs a bounded number of queries (no N+1).

``make(orgs, network, owner)`` creates one object; ``owner`` is an organisation key of the
``orgs`` fixture, or None for models nobody owns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.db.models import Model

LIST_SIZE = 12  # objects listed in the query-count check: an N+1 would cost at least this many


@dataclass(frozen=True)
class ApiModelCase:
    name: str
    url: str  # the list URL; the detail URL is f"{url}{pk}/"
    make: Callable[..., Model]
    viewer: str  # fixture name of a user who may see the object
    owner: str | None = None  # organisation key of the viewer's own objects (tenant-owned models)
    foreign_viewer: str | None = None  # fixture name of a user who must not see it
    foreign_status: int = 404
    max_queries: int = 3
    query: dict | None = None  # parameters a list needs (``{"network": <grid id>}`` is filled in)
    detail: bool = True  # False: the API lists these but has no detail route
    key: str = "id"  # the field that identifies a row in responses

    def __str__(self) -> str:
        return self.name


def listed_ids(body, key: str = "id") -> list[int]:
    """Ids of a list response (paginated or not)."""
    rows = body["results"] if isinstance(body, dict) else body
    return [row[key] for row in rows]

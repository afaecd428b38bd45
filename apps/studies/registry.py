"""The study kinds the workers can run, registered by the apps that own them (NetBox style).

The studies app runs, tracks and reaps study runs without knowing what any of them computes:
each feature app registers its kinds from its ``AppConfig.ready()``, so studies imports no
feature app and a new app brings new kinds without touching this one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import StudyRun

Report = Callable[[int, str], None]


@dataclass(frozen=True)
class StudyKind:
    """One kind of study.

    name: the value stored in ``StudyRun.kind``.
    label: what people read.
    run: ``(run, report) -> result | None`` on a worker, where ``report(percent, stage)`` records
        progress; None means the kind fanned out to more tasks and its last task finishes the run.
    parameters: the serializer class that validates a requested run's ``parameters`` (None: the
        kind takes none).
    request: ``(network=, requested_by=, parameters=) -> StudyRun`` when a kind fills in its own
        inputs before queueing (None: the run is queued as requested).
    figure: ``(run) -> Plotly figure dict`` of a finished run, when the kind has one to show.
    """

    name: str
    label: str
    run: Callable[[StudyRun, Report], dict | None]
    parameters: type | None = None
    request: Callable[..., StudyRun] | None = None
    figure: Callable[[StudyRun], dict[str, Any]] | None = None


class StudyKindError(LookupError):
    pass


_kinds: dict[str, StudyKind] = {}


def study_kind_register(kind: StudyKind) -> StudyKind:
    """Register a kind; registering the same name twice is a programming error."""
    if kind.name in _kinds and _kinds[kind.name] != kind:
        raise StudyKindError(f"Study kind {kind.name!r} is already registered.")
    _kinds[kind.name] = kind
    return kind


def study_kind(name: str) -> StudyKind:
    try:
        return _kinds[name]
    except KeyError:
        raise StudyKindError(f"Unknown study kind {name!r}.") from None


def study_kinds() -> list[StudyKind]:
    return list(_kinds.values())


def study_kind_choices() -> list[tuple[str, str]]:
    """Choices of ``StudyRun.kind`` (read lazily, once the apps have registered)."""
    return [(kind.name, kind.label) for kind in _kinds.values()]


class StudyError(Exception):
    """A study cannot complete for a reason its user can act on; the message is shown as is."""

"""Exceptions raised by the grid engine.

Every failure the engine can diagnose has its own class, so callers (Celery tasks, services)
can tell a bad network from bad input data from a solver problem without parsing messages.
"""


class EngineError(Exception):
    """Base class of every error raised by :mod:`apps.grid.engine`."""


class EmptyNetworkError(EngineError):
    """The network has nothing to calculate (no buses, no in-service source, ...)."""


class UnsupportedElementError(EngineError):
    """The pandapower net uses an element or option the engine does not model."""


class IslandedNetworkError(EngineError):
    """Part of the network is not connected to any source and the caller asked for a strict check."""


class InputShapeError(EngineError, ValueError):
    """Time-series or scenario arrays do not have the shape the model needs."""


class InvalidInputError(EngineError, ValueError):
    """Input values are not usable (NaN, infinite, unknown element, ...)."""


class PowerFlowError(EngineError):
    """The power-flow solver failed as a whole (not a single non-converging step)."""

"""The current request id, carried through services without passing it everywhere."""
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")

"""Append-only event streams: each event has a per-stream sequence number so that a client
that reconnects can ask for everything after the last one it saw."""
from django.db import models


class EventStream(models.Model):
    name = models.CharField(max_length=100, unique=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seq}"


class Event(models.Model):
    stream = models.ForeignKey(EventStream, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.stream.name}#{self.seq} {self.kind}"

    def as_message(self) -> dict:
        return {
            "stream": self.stream.name,
            "seq": self.seq,
            "kind": self.kind,
            "payload": self.payload,
            "at": self.created_at.isoformat(),
        }

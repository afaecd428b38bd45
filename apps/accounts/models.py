"""Organisations and the people and machines that act for them."""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from apps.common.clock import DEFAULT_ZONE, zone_valid


def validate_time_zone(value: str) -> None:
    if not zone_valid(value):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London.")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DSO = "dso", "Distribution system operator"
        AGGREGATOR = "aggregator", "Aggregator"
        COMMUNITY = "community", "Community energy scheme"
        TSO = "tso", "Transmission system operator"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        OPERATOR = "operator", "Control-room operator"
        ENGINEER = "engineer", "Control engineer"
        AGGREGATOR = "aggregator", "Aggregator user"
        TSO_CLIENT = "tso_client", "TSO API client"
        ADMIN = "admin", "Back-office admin"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGGREGATOR)
    time_zone = models.CharField(
        max_length=64, default=DEFAULT_ZONE, validators=[validate_time_zone],
        help_text="IANA time zone in which every time is shown to this user (e.g. Europe/London).",
    )

    @property
    def is_dso_staff(self) -> bool:
        """Operators, engineers and admins of the DSO see the whole network."""
        return self.is_superuser or (
            self.role in {self.Role.OPERATOR, self.Role.ENGINEER, self.Role.ADMIN}
            and self.organisation is not None
            and self.organisation.kind == Organisation.Kind.DSO
        )

    @property
    def is_engineer(self) -> bool:
        return self.is_superuser or (self.is_dso_staff and self.role in {self.Role.ENGINEER, self.Role.ADMIN})

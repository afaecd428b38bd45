"""DRF permissions by role."""
from rest_framework.permissions import BasePermission


class IsDsoStaff(BasePermission):
    message = "Only DSO operators, engineers and admins may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_dso_staff)


class IsEngineer(BasePermission):
    message = "Only control engineers may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_engineer)

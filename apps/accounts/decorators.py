"""Role guards for browser views (the API's are the permission classes in permissions.py); both
read the roles from the user model, the one place they are defined."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def _role_required(test, message: str):
    def decorator(view):
        @login_required  # anonymous: to the sign-in page; signed in without the role: 403
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)
        return guarded
    return decorator


dso_staff_required = _role_required(lambda user: user.is_dso_staff, "This page is for DSO staff.")
engineer_required = _role_required(lambda user: user.is_engineer, "Only control engineers may do this.")

"""The role guards of browser views: one per role, read from the user model."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from apps.accounts.decorators import dso_staff_required, engineer_required

pytestmark = pytest.mark.django_db


@dso_staff_required
def staff_page(request):
    return HttpResponse("ok")


@engineer_required
def engineer_page(request):
    return HttpResponse("ok")


def _get(view, user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return view(request)


def test_anonymous_goes_to_sign_in():
    from django.contrib.auth.models import AnonymousUser

    for view in (staff_page, engineer_page):
        response = _get(view, AnonymousUser())
        assert response.status_code == 302 and "/somewhere/" in response["Location"]


@pytest.mark.parametrize("view, allowed", [
    (staff_page, {"operator", "engineer"}),
    (engineer_page, {"engineer"}),
])
def test_each_role_sees_only_its_pages(view, allowed, operator, engineer, aggregator_a):
    for name, user in {"operator": operator, "engineer": engineer, "aggregator": aggregator_a}.items():
        if name in allowed:
            assert _get(view, user).status_code == 200
        else:
            with pytest.raises(PermissionDenied):
                _get(view, user)

"""The user's own settings page (today: the time zone every time is shown in)."""
from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from .services import user_time_zone_set


@cache
def zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones()) if "/" in name or name == "UTC"]


class SettingsForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=zone_choices,
                                  help_text="Every time on every page and chart is shown in this zone, 24-hour.")


@login_required
def settings_page(request):
    form = SettingsForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, f"Times are now shown in {request.user.time_zone}.")
        return redirect("account-settings")
    example = timezone.now() - dt.timedelta(days=1)
    return render(request, "accounts/settings.html", {"form": form, "example": example})

from django.contrib import admin

from .models import Event, EventStream


@admin.register(EventStream)
class EventStreamAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seq")
    readonly_fields = ("name", "last_seq")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("stream", "seq", "kind", "created_at")
    list_filter = ("kind", "stream")
    readonly_fields = ("stream", "seq", "kind", "payload", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

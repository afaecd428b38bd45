from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path

from . import models
from .models import Network, ThermalRating, VoltageLimit
from .pandapower_io import NetworkImportError
from .services import (
    network_delete,
    network_import,
    network_save,
    registry_element_delete,
    registry_element_save,
    registry_elements_delete,
)


class VoltageLimitInline(admin.TabularInline):
    """Statutory voltage limits per voltage level (UK defaults: ESQCR reg. 27)."""

    model = VoltageLimit
    extra = 0


class ThermalRatingInline(admin.TabularInline):
    """Seasonal and cyclic ratings per branch class (UK defaults: ER P27, P17, P15)."""

    model = ThermalRating
    extra = 0


class ChangeLoggedAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Registry admin: each object links to its change log (who, when, before/after)."""

    show_auditlog_history_link = True


@admin.register(Network)
class NetworkAdmin(ChangeLoggedAdmin):
    list_display = ("name", "source", "curtailment_rule", "created_at")
    inlines = (VoltageLimitInline, ThermalRatingInline)
    change_list_template = "admin/grid/network/change_list.html"

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="grid_network_import")] + super().get_urls()

    def import_view(self, request):
        """Admin action: import a network from a SimBench code or a pandapower JSON file."""
        if request.method == "POST":
            try:
                network = network_import(name=request.POST.get("name", ""), file=request.FILES.get("file"),
                                         simbench_code=request.POST.get("simbench_code", ""), actor=request.user)
            except NetworkImportError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Imported network '{network.name}'.")
                return redirect("admin:grid_network_changelist")
        return render(request, "admin/grid/network/import.html", {**self.admin_site.each_context(request),
                                                                  "title": "Import a network"})


    # writes through the services: they bump the revision that caches key on
    def save_model(self, request, obj, form, change):
        network_save(network=obj, changed=form.changed_data if change else (), actor=request.user)

    def delete_model(self, request, obj):
        network_delete(network=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for network in queryset:
            network_delete(network=network, actor=request.user)


class ElementAdmin(ChangeLoggedAdmin):
    list_filter = ("network",)
    search_fields = ("name",)
    list_select_related = ("network",)

    def save_model(self, request, obj, form, change):
        registry_element_save(element=obj, actor=request.user)

    def delete_model(self, request, obj):
        registry_element_delete(element=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        registry_elements_delete(queryset=queryset, actor=request.user)


# Per element: the list's columns, its filters beyond the network, the foreign keys picked by id
# (a network has thousands of buses: no drop-downs)
ELEMENT_ADMINS = {
    models.Bus: dict(list_display=("name", "network", "pp_index", "vn_kv", "feeder", "in_service"),
                     raw_id_fields=("substation", "feeder")),
    models.Line: dict(list_display=("name", "network", "pp_index", "length_km", "max_i_ka", "feeder", "in_service"),
                      raw_id_fields=("from_bus", "to_bus", "feeder")),
    models.Transformer: dict(list_display=("name", "network", "sn_mva", "vn_hv_kv", "vn_lv_kv", "tap_pos",
                                           "oltc_enabled", "in_service"),
                             raw_id_fields=("hv_bus", "lv_bus", "substation")),
    models.Switch: dict(list_display=("name", "network", "element_type", "element", "type", "closed"),
                        list_filter=("network", "element_type", "closed"), raw_id_fields=("bus",)),
    models.ExternalGrid: dict(list_display=("name", "network", "vm_pu", "in_service"), raw_id_fields=("bus",)),
    models.Shunt: dict(list_display=("name", "network", "pp_index", "q_mvar", "p_mw", "step", "max_step", "in_service"),
                       raw_id_fields=("bus",)),
    models.Substation: dict(list_display=("name", "network", "kind", "firm_capacity_mva", "reverse_power_mw"),
                            list_filter=("network", "kind"), raw_id_fields=("busbar",)),
    models.Feeder: dict(list_display=("name", "network", "substation", "vn_kv", "capacity_mva", "export_limit_mw",
                                      "import_limit_mw"),
                        raw_id_fields=("substation", "head_bus", "head_line")),
    models.Premise: dict(list_display=("name", "network", "owner", "reference"), list_filter=("network", "owner"),
                         raw_id_fields=("bus",)),
    models.Load: dict(list_display=("name", "network", "p_mw", "q_mvar", "profile", "premise", "in_service"),
                      raw_id_fields=("bus", "premise")),
    models.DERAsset: dict(list_display=("name", "network", "kind", "status", "rated_mw", "capacity_mwh",
                                        "connection_type", "offer_accepted_on", "owner", "premise"),
                          list_filter=("network", "kind", "status", "connection_type", "owner"),
                          raw_id_fields=("bus", "premise")),
}
for _model, _options in ELEMENT_ADMINS.items():
    admin.site.register(_model, type(f"{_model.__name__}Admin", (ElementAdmin,), _options))

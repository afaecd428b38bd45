"""The network registry: the physical grid the DSO runs, element by element.

Each electrical element keeps ``pp_index``, its index in the pandapower net it came from, so
that a network exported back to pandapower is the same net (same indices, same parameters)
and results map back to registry rows. Substations are the transformers' LV busbars; feeders are
the engine's (``apps.grid.engine.topology.derive_feeders``), stored at import.
"""
from __future__ import annotations

from auditlog.registry import auditlog
from django.db import models

from apps.accounts.models import Organisation

from .engine.model import line_rating_mva


class Network(models.Model):
    class CurtailmentRule(models.TextChoices):
        LIFO = "lifo", "Last in, first out (by connection date)"
        PRO_RATA = "pro_rata", "Pro rata"

    name = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=200, blank=True, help_text="e.g. simbench:1-MVLV-rural-all-2-sw")
    description = models.TextField(blank=True)
    f_hz = models.FloatField(default=50.0)
    sn_mva = models.FloatField(default=1.0)
    curtailment_rule = models.CharField(
        max_length=20, choices=CurtailmentRule.choices, default=CurtailmentRule.LIFO,
        help_text="Principle of access: who is curtailed first when flexibility cannot clear a constraint.",
    )
    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every electrical change; keys model caches.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkElement(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="%(class)ss")
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name or f"{self._meta.verbose_name} {self.pk}"


class IndexedElement(NetworkElement):
    pp_index = models.IntegerField(help_text="Index of this element in the pandapower net.")

    class Meta:
        abstract = True
        ordering = ["pp_index"]
        constraints = [
            models.UniqueConstraint(fields=["network", "pp_index"], name="%(class)s_unique_pp_index")
        ]


class Substation(NetworkElement):
    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary (HV/MV)"
        SECONDARY = "secondary", "Secondary (MV/LV)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    busbar = models.ForeignKey("Bus", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    firm_capacity_mva = models.FloatField(
        null=True, blank=True,
        help_text="Firm (N-1) capacity, EREC P2/8. Blank: the transformers' ratings less the largest unit.")
    reverse_power_mw = models.FloatField(
        null=True, blank=True,
        help_text="Reverse-power (export) capability of the primary. Blank: equal to the firm capacity.")

    class Meta:
        ordering = ["kind", "name"]


class Feeder(NetworkElement):
    substation = models.ForeignKey(Substation, on_delete=models.CASCADE, related_name="feeders")
    head_bus = models.ForeignKey("Bus", on_delete=models.CASCADE, related_name="+")
    head_line = models.ForeignKey("Line", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vn_kv = models.FloatField()
    capacity_mva = models.FloatField(help_text="Thermal capacity of the head-end line.")
    export_limit_mw = models.FloatField(
        null=True, blank=True,
        help_text="Reverse-power limit at the feeder head (e.g. protection). Blank: the head line's thermal rating governs.")
    import_limit_mw = models.FloatField(
        null=True, blank=True, help_text="Forward-power limit at the feeder head. Blank: the head line's thermal rating governs.")

    class Meta:
        ordering = ["substation__name", "name"]


class Bus(IndexedElement):
    vn_kv = models.FloatField()
    type = models.CharField(max_length=2, default="b")
    zone = models.CharField(max_length=100, blank=True)
    subnet = models.CharField(max_length=100, blank=True)
    volt_level = models.IntegerField(null=True, blank=True)
    in_service = models.BooleanField(default=True)
    min_vm_pu = models.FloatField(null=True, blank=True, help_text="As imported (pandapower OPF limit); not used for alarms.")
    max_vm_pu = models.FloatField(null=True, blank=True, help_text="As imported (pandapower OPF limit); not used for alarms.")
    site_vmin_pu = models.FloatField(
        null=True, blank=True, help_text="Site-specific lower voltage limit; blank: the network's limit for this voltage level.")
    site_vmax_pu = models.FloatField(
        null=True, blank=True, help_text="Site-specific upper voltage limit; blank: the network's limit for this voltage level.")
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    substation = models.ForeignKey(Substation, null=True, blank=True, on_delete=models.SET_NULL, related_name="buses")
    feeder = models.ForeignKey(Feeder, null=True, blank=True, on_delete=models.SET_NULL, related_name="buses")

    class Meta(IndexedElement.Meta):
        verbose_name_plural = "buses"


class Line(IndexedElement):
    std_type = models.CharField(max_length=100, blank=True)
    from_bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    to_bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    length_km = models.FloatField()
    r_ohm_per_km = models.FloatField()
    x_ohm_per_km = models.FloatField()
    c_nf_per_km = models.FloatField(default=0.0)
    g_us_per_km = models.FloatField(default=0.0)
    max_i_ka = models.FloatField()
    df = models.FloatField(default=1.0)
    parallel = models.IntegerField(default=1)
    type = models.CharField(max_length=20, blank=True)
    in_service = models.BooleanField(default=True)
    max_loading_percent = models.FloatField(null=True, blank=True)
    subnet = models.CharField(max_length=100, blank=True)
    volt_level = models.IntegerField(null=True, blank=True)
    feeder = models.ForeignKey(Feeder, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines")

    @property
    def rating_mva(self) -> float:
        return float(line_rating_mva(self.from_bus.vn_kv, self.max_i_ka, self.df, self.parallel))


class Transformer(IndexedElement):
    std_type = models.CharField(max_length=100, blank=True)
    hv_bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    lv_bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    sn_mva = models.FloatField()
    vn_hv_kv = models.FloatField()
    vn_lv_kv = models.FloatField()
    vk_percent = models.FloatField()
    vkr_percent = models.FloatField()
    pfe_kw = models.FloatField(default=0.0)
    i0_percent = models.FloatField(default=0.0)
    shift_degree = models.FloatField(default=0.0)
    vector_group = models.CharField(max_length=10, blank=True)
    tap_side = models.CharField(max_length=2, blank=True)
    tap_neutral = models.FloatField(null=True, blank=True)
    tap_min = models.FloatField(null=True, blank=True)
    tap_max = models.FloatField(null=True, blank=True)
    tap_step_percent = models.FloatField(null=True, blank=True)
    tap_step_degree = models.FloatField(null=True, blank=True)
    tap_pos = models.FloatField(null=True, blank=True)
    tap_changer_type = models.CharField(max_length=20, blank=True)
    oltc_enabled = models.BooleanField(
        default=False, help_text="On-load tap changer regulates the LV busbar voltage (primary transformers).")
    oltc_vm_set_pu = models.FloatField(null=True, blank=True, help_text="OLTC target voltage at the LV busbar (pu).")
    oltc_band_pu = models.FloatField(
        null=True, blank=True, help_text="OLTC bandwidth (pu, total): no tap change while |V - target| <= band / 2.")
    parallel = models.IntegerField(default=1)
    df = models.FloatField(default=1.0)
    in_service = models.BooleanField(default=True)
    max_loading_percent = models.FloatField(null=True, blank=True)
    subnet = models.CharField(max_length=100, blank=True)
    volt_level = models.IntegerField(null=True, blank=True)
    substation = models.ForeignKey(Substation, null=True, blank=True, on_delete=models.SET_NULL, related_name="transformers")


class Switch(IndexedElement):
    class ElementType(models.TextChoices):
        LINE = "l", "Line"
        TRANSFORMER = "t", "Transformer"
        BUS = "b", "Bus"

    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    element_type = models.CharField(max_length=1, choices=ElementType.choices)
    element = models.IntegerField(help_text="pp_index of the switched line, transformer or bus.")
    type = models.CharField(max_length=10, blank=True)
    closed = models.BooleanField(default=True)
    z_ohm = models.FloatField(default=0.0)
    in_ka = models.FloatField(null=True, blank=True)

    class Meta(IndexedElement.Meta):
        verbose_name_plural = "switches"


class ExternalGrid(IndexedElement):
    """The source: the connection to the transmission grid (the slack in power flow)."""

    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    vm_pu = models.FloatField(default=1.0)
    va_degree = models.FloatField(default=0.0)
    in_service = models.BooleanField(default=True)


class Shunt(IndexedElement):
    """A shunt reactor or capacitor bank (pandapower ``shunt``): ``q_mvar`` > 0 absorbs reactive
    power, at ``step`` of ``max_step`` and the rated voltage ``vn_kv``."""

    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="+")
    p_mw = models.FloatField(default=0.0)
    q_mvar = models.FloatField()
    vn_kv = models.FloatField(null=True, blank=True, help_text="Rated voltage; blank: the bus's nominal voltage.")
    step = models.IntegerField(default=1)
    max_step = models.IntegerField(default=1)
    in_service = models.BooleanField(default=True)


class Premise(NetworkElement):
    """A connection point: where a customer's load and DER meet the network."""

    tenant_field = "owner"

    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="premises")
    owner = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="premises",
        help_text="The aggregator or scheme acting for this premise.",
    )
    reference = models.CharField(max_length=50, blank=True, help_text="Meter point / customer reference")
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]


class Load(IndexedElement):
    tenant_field = "premise__owner"

    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="loads")
    premise = models.ForeignKey(Premise, null=True, blank=True, on_delete=models.SET_NULL, related_name="loads")
    p_mw = models.FloatField()
    q_mvar = models.FloatField(default=0.0)
    sn_mva = models.FloatField(null=True, blank=True)
    scaling = models.FloatField(default=1.0)
    const_z_p_percent = models.FloatField(default=0.0)
    const_i_p_percent = models.FloatField(default=0.0)
    const_z_q_percent = models.FloatField(default=0.0)
    const_i_q_percent = models.FloatField(default=0.0)
    type = models.CharField(max_length=50, blank=True)
    in_service = models.BooleanField(default=True)
    profile = models.CharField(max_length=100, blank=True, help_text="SimBench load profile")
    subnet = models.CharField(max_length=100, blank=True)
    volt_level = models.IntegerField(null=True, blank=True)


class DERAsset(IndexedElement):
    """A distributed energy resource. ``pp_element`` says which pandapower table it lives in:
    generators are ``sgen``, batteries ``storage``, EV chargers ``load``."""

    tenant_field = "owner"

    class Kind(models.TextChoices):
        PV = "pv", "Solar PV"
        WIND = "wind", "Wind"
        BIOMASS = "biomass", "Biomass"
        HYDRO = "hydro", "Hydro"
        BATTERY = "battery", "Battery storage"
        EV_CHARGER = "ev_charger", "EV charger"
        OTHER = "other", "Other generation"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COMMISSIONED = "commissioned", "Commissioned"
        OPERATIONAL = "operational", "Operational"
        OUT_OF_SERVICE = "out_of_service", "Out of service"

    class ConnectionType(models.TextChoices):
        FIRM = "firm", "Firm"
        FLEXIBLE = "flexible", "Flexible (ANM)"
        G98 = "g98", "Micro-generation (G98)"

    class OperatingMode(models.TextChoices):
        SELF_CONSUMPTION = "self_consumption", "Self-consumption"
        SCHEDULE = "schedule", "Aggregator schedule"
        TELEMETRY = "telemetry", "Telemetry"

    STATUS_COLOURS = {"planned": "grey", "commissioned": "blue", "operational": "green", "out_of_service": "red"}
    LIVE_STATUSES = (Status.COMMISSIONED, Status.OPERATIONAL)

    class PPElement(models.TextChoices):
        SGEN = "sgen", "Static generator"
        STORAGE = "storage", "Storage"
        LOAD = "load", "Load"

    pp_element = models.CharField(max_length=10, choices=PPElement.choices)
    bus = models.ForeignKey(Bus, on_delete=models.CASCADE, related_name="der_assets")
    premise = models.ForeignKey(Premise, null=True, blank=True, on_delete=models.SET_NULL, related_name="der_assets")
    owner = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="der_assets")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPERATIONAL)
    p_mw = models.FloatField(help_text="Set-point (generation positive for sgen; charging positive for storage).")
    q_mvar = models.FloatField(default=0.0)
    sn_mva = models.FloatField(null=True, blank=True, help_text="Apparent power rating")
    rated_mw = models.FloatField(null=True, blank=True, help_text="Active power rating (kWp for PV, in MW)")
    scaling = models.FloatField(default=1.0)
    capacity_mwh = models.FloatField(null=True, blank=True, help_text="Storage energy capacity")
    min_e_mwh = models.FloatField(null=True, blank=True)
    soc_percent = models.FloatField(null=True, blank=True)
    type = models.CharField(max_length=50, blank=True, help_text="Source type label, e.g. SimBench's")
    profile = models.CharField(max_length=100, blank=True, help_text="SimBench profile")
    subnet = models.CharField(max_length=100, blank=True)
    volt_level = models.IntegerField(null=True, blank=True)
    connected_on = models.DateField(null=True, blank=True)
    connection_type = models.CharField(
        max_length=20, choices=ConnectionType.choices, default=ConnectionType.FIRM,
        help_text="Only flexible (ANM) connections may be curtailed by the ANM.")
    offer_accepted_on = models.DateField(
        null=True, blank=True, help_text="Connection-offer acceptance date: the LIFO order of flexible connections.")
    efficiency_percent = models.FloatField(null=True, blank=True, help_text="Battery one-way efficiency (%).")
    reserve_percent = models.FloatField(
        null=True, blank=True, help_text="Battery state of charge kept in reserve (backup, must-run); not offered as flexibility.")
    operating_mode = models.CharField(
        max_length=20, choices=OperatingMode.choices, blank=True,
        help_text="How a battery runs when nobody dispatches it.")

    class Meta(IndexedElement.Meta):
        verbose_name = "DER asset"
        constraints = [
            models.UniqueConstraint(fields=["network", "pp_element", "pp_index"], name="der_unique_pp_index")
        ]

    @property
    def in_service(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def status_colour(self) -> str:
        return self.STATUS_COLOURS[self.status]


class VoltageLimit(models.Model):
    """Statutory voltage limits of one voltage level of a network (UK: ESQCR 2002 reg. 27).
    A bus uses the row whose range holds its nominal voltage, unless the site has its own."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="voltage_limits")
    name = models.CharField(max_length=100)
    vn_kv_min = models.FloatField(help_text="Nominal voltage from (kV, inclusive)")
    vn_kv_max = models.FloatField(help_text="Nominal voltage below (kV, exclusive)")
    vmin_pu = models.FloatField()
    vmax_pu = models.FloatField()

    class Meta:
        ordering = ["network", "vn_kv_min"]

    def __str__(self) -> str:
        return f"{self.name}: {self.vmin_pu:.2f}-{self.vmax_pu:.2f} pu"


class ThermalRating(models.Model):
    """Seasonal continuous ratings and the cyclic allowance of one class of branch (UK: ENA ER
    P27 overhead lines, P17 cables, P15 / IEC 60076-7 transformers). The registry rating of a
    branch (``max_i_ka`` / ``sn_mva``) is its summer continuous rating."""

    class BranchClass(models.TextChoices):
        OVERHEAD = "overhead", "Overhead line"
        CABLE = "cable", "Underground cable"
        TRANSFORMER = "transformer", "Transformer"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="thermal_ratings")
    branch_class = models.CharField(max_length=20, choices=BranchClass.choices)
    winter_factor = models.FloatField(default=1.0, help_text="Continuous rating in Nov-Feb / summer rating")
    spring_autumn_factor = models.FloatField(default=1.0, help_text="Continuous rating in Mar-Apr and Sep-Oct / summer rating")
    cyclic_percent = models.FloatField(default=100.0, help_text="Cyclic / emergency rating, % of the continuous rating")
    cyclic_minutes = models.PositiveIntegerField(
        default=0, help_text="How long the branch may run between its continuous and cyclic ratings before it is a violation")

    class Meta:
        ordering = ["network", "branch_class"]
        constraints = [models.UniqueConstraint(fields=["network", "branch_class"], name="thermal_rating_unique_class")]

    def __str__(self) -> str:
        return f"{self.get_branch_class_display()} ratings of {self.network}"


# Change logging, NetBox-style: every save and delete of a registry row through the ORM is logged
# with actor, time and before/after (django-auditlog; the admin shows it per object). Bulk writes
# (imports) are logged once, by their service.
auditlog.register(Network, exclude_fields=["revision"])
for _model in (Substation, Feeder, Bus, Line, Transformer, Switch, ExternalGrid, Shunt, Premise, Load, DERAsset,
               VoltageLimit, ThermalRating):
    auditlog.register(_model)

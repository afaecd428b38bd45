from django.apps import AppConfig


class AnmConfig(AppConfig):
    name = "apps.anm"
    label = "anm"
    verbose_name = "Active network management"

    def ready(self) -> None:
        from django_fsm.signals import post_transition

        from apps.audit.transitions import audit_transition
        from apps.studies.registry import study_kind_register

        from .models import Alarm
        from .study_kinds import PROJECTION_KIND

        study_kind_register(PROJECTION_KIND)
        post_transition.connect(audit_transition, sender=Alarm, dispatch_uid="anm.audit_transition")

        from .events import register

        register()  # the ANM's live event kinds and their schemas

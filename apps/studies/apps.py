from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "apps.studies"
    label = "studies"

    def ready(self) -> None:
        from django_fsm.signals import post_transition

        from apps.audit.transitions import audit_transition

        from .models import StudyRun

        post_transition.connect(audit_transition, sender=StudyRun, dispatch_uid="studies.audit_transition")

        from .events import register

        register()  # the study live event kinds and their schema

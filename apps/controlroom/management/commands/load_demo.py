import time

from django.core.management.base import BaseCommand

from apps.controlroom.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo world (idempotent): SimBench network, organisations, users, customers."

    def handle(self, *args, **options):
        started = time.perf_counter()
        network = load_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo world ready: network '{network.name}' "
                                             f"({time.perf_counter() - started:.1f} s)."))
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<11} {user.role:<11} {user.organisation}")

from django.core.management.base import BaseCommand, CommandError

from apps.grid.pandapower_io import NetworkImportError
from apps.grid.services import network_import


class Command(BaseCommand):
    help = "Import a network into the registry from a SimBench code or a pandapower JSON file."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--simbench", metavar="CODE", help="e.g. 1-MV-rural--2-sw")
        source.add_argument("--json", metavar="FILE", help="a pandapower JSON file")
        parser.add_argument("--name", help="registry name (default: the SimBench code or file name)")
        parser.add_argument("--replace", action="store_true", help="replace a network of the same name")

    def handle(self, *args, simbench=None, json=None, name=None, replace=False, **options):
        try:
            if simbench:
                network = network_import(simbench_code=simbench, name=name or "", replace=replace)
            else:
                try:
                    with open(json, "rb") as handle:
                        network = network_import(file=handle, name=name or "", replace=replace)
                except OSError as exc:
                    raise CommandError(f"Cannot read {json}: {exc}") from exc
        except NetworkImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported network '{network.name}' (id {network.pk})."))

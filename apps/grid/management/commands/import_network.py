from django.core.management.base import BaseCommand, CommandError

from apps.grid.pandapower_io import NetworkImportError
from apps.grid.services import network_import_json, network_import_simbench


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
                network = network_import_simbench(code=simbench, name=name, replace=replace)
            else:
                try:
                    with open(json, encoding="utf-8") as handle:
                        text = handle.read()
                except OSError as exc:
                    raise CommandError(f"Cannot read {json}: {exc}") from exc
                network = network_import_json(text=text, name=name or json, filename=json, replace=replace)
        except NetworkImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported network '{network.name}' (id {network.pk})."))

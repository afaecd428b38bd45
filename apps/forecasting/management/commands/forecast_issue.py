"""Issue a network forecast now, optionally backfilling past forecasts so accuracy has data."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.forecasting.services import ForecastInputError, forecast_backfill, forecast_run_issue, forecast_runs_score_due
from apps.grid.models import Network
from apps.grid.selectors import network_default


class Command(BaseCommand):
    help = "Issue a forecast for a network (default: the first) and score matured forecasts."

    def add_arguments(self, parser):
        parser.add_argument("--network", type=int, help="network id (default: the first network)")
        parser.add_argument("--backfill-days", type=int, default=0, help="also issue and score past forecasts (1-7 days)")

    def handle(self, *args, **options):
        network = Network.objects.filter(pk=options["network"]).first() if options["network"] else network_default()
        if network is None:
            raise CommandError("No such network.")
        try:
            if options["backfill_days"]:
                runs = forecast_backfill(network=network, days=options["backfill_days"])
                self.stdout.write(f"Backfilled {len(runs)} forecast(s).")
            run = forecast_run_issue(network=network)
        except ForecastInputError as exc:
            raise CommandError(str(exc)) from exc
        scored = forecast_runs_score_due()
        self.stdout.write(f"Issued forecast #{run.pk} for {network} at {run.issued_at:%Y-%m-%d %H:%M} UTC; scored {scored} run(s).")

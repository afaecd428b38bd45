# Depends only on the grid's initial migration (Network exists there).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('grid', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ForecastRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('issued_at', models.DateTimeField(db_index=True)),
                ('start', models.DateTimeField()),
                ('steps', models.PositiveIntegerField()),
                ('step_minutes', models.PositiveSmallIntegerField(default=15)),
                ('seed', models.BigIntegerField()),
                ('weather_source', models.CharField(max_length=40)),
                ('inputs', models.JSONField(default=dict, help_text='Everything needed to reproduce the forecast')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('scored_through', models.DateTimeField(blank=True, help_text='End of the last step scored', null=True)),
                ('fully_scored', models.BooleanField(db_index=True, default=False)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('network', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='forecast_runs', to='grid.network')),
            ],
            options={
                'ordering': ['-issued_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='WeatherZone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('latitude', models.FloatField(blank=True, null=True)),
                ('longitude', models.FloatField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('network', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='weather_zones', to='grid.network')),
            ],
            options={
                'ordering': ['network_id', 'id'],
            },
        ),
        migrations.CreateModel(
            name='WeatherForecast',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('issued_at', models.DateTimeField()),
                ('valid_at', models.DateTimeField(help_text='Start of the quarter-hour the values describe.')),
                ('ghi_w_m2', models.FloatField(help_text='Global horizontal irradiance, W/m²')),
                ('wind_speed_m_s', models.FloatField(help_text='Wind speed at hub height, m/s')),
                ('temperature_c', models.FloatField(help_text='Air temperature, °C')),
                ('source', models.CharField(blank=True, help_text='Provider label', max_length=100)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='forecasts', to='forecasting.weatherzone')),
            ],
            options={
                'ordering': ['zone_id', 'issued_at', 'valid_at'],
            },
        ),
        migrations.CreateModel(
            name='ForecastScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.CharField(choices=[('demand', 'Demand (MW)'), ('ev', 'EV charging (MW)'), ('pv', 'Solar PV (MW)'), ('wind', 'Wind (MW)'), ('other_gen', 'Other generation (MW)'), ('storage', 'Battery schedule (MW, + = charging)'), ('net_export', 'Net export (MW)'), ('ghi_w_m2', 'Irradiance (W/m²)'), ('wind_speed_m_s', 'Hub-height wind speed (m/s)'), ('temperature_c', 'Temperature (°C)')], max_length=20)),
                ('band', models.CharField(max_length=10)),
                ('n', models.PositiveIntegerField(default=0)),
                ('abs_error_sum', models.FloatField(default=0.0)),
                ('pinball_sum', models.FloatField(default=0.0)),
                ('banded', models.PositiveIntegerField(default=0, help_text='Steps with a P10-P90 band (P90 > P10)')),
                ('covered', models.PositiveIntegerField(default=0, help_text='Banded steps with the actual inside the band')),
                ('actuals_source', models.CharField(blank=True, max_length=40)),
                ('scored_at', models.DateTimeField(auto_now=True)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='forecasting.forecastrun')),
            ],
            options={
                'ordering': ['run_id', 'quantity', 'band'],
                'constraints': [models.UniqueConstraint(fields=('run', 'quantity', 'band'), name='forecastscore_unique_band')],
            },
        ),
        migrations.CreateModel(
            name='ForecastSeries',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.CharField(choices=[('demand', 'Demand (MW)'), ('ev', 'EV charging (MW)'), ('pv', 'Solar PV (MW)'), ('wind', 'Wind (MW)'), ('other_gen', 'Other generation (MW)'), ('storage', 'Battery schedule (MW, + = charging)'), ('net_export', 'Net export (MW)'), ('ghi_w_m2', 'Irradiance (W/m²)'), ('wind_speed_m_s', 'Hub-height wind speed (m/s)'), ('temperature_c', 'Temperature (°C)')], max_length=20)),
                ('p10', models.JSONField()),
                ('p50', models.JSONField()),
                ('p90', models.JSONField()),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='series', to='forecasting.forecastrun')),
            ],
            options={
                'ordering': ['run_id', 'quantity'],
                'constraints': [models.UniqueConstraint(fields=('run', 'quantity'), name='forecastseries_unique_quantity')],
            },
        ),
        migrations.AddConstraint(
            model_name='weatherzone',
            constraint=models.UniqueConstraint(fields=('network', 'name'), name='weatherzone_unique_name'),
        ),
        migrations.AddIndex(
            model_name='weatherforecast',
            index=models.Index(fields=['zone', 'valid_at'], name='forecasting_zone_id_3e45d8_idx'),
        ),
        migrations.AddConstraint(
            model_name='weatherforecast',
            constraint=models.UniqueConstraint(fields=('zone', 'issued_at', 'valid_at'), name='weatherforecast_unique_step'),
        ),
    ]

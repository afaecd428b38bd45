"""Static files in production shape: collected with content-hashed names and pre-compressed, so
whitenoise serves them compressed with far-future cache headers (DSO_STATIC_MANIFEST=1)."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_collected_static_files_are_hashed_and_compressed(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dso_portal.settings.local", "DSO_STATIC_MANIFEST": "1",
           "DEBUG": "0", "DSO_STATIC_ROOT": str(tmp_path)}
    code = ("import django; django.setup(); from django.core.management import call_command;"
            "call_command('collectstatic', '--noinput', '-v', '0');"
            "from django.templatetags.static import static; print('URL', static('js/network.js'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    url = out.stdout.split("URL ")[1].strip()
    assert url.startswith("/static/js/network.") and url.endswith(".js") and url != "/static/js/network.js"
    hashed = tmp_path / url.removeprefix("/static/")
    compressed = Path(f"{hashed}.gz")
    assert hashed.exists() and compressed.exists()
    assert gzip.decompress(compressed.read_bytes()) == hashed.read_bytes()
    plotly = sorted(tmp_path.glob("vendor/plotly.min.*.js.gz"))
    assert plotly and plotly[0].stat().st_size * 3 < plotly[0].with_suffix("").stat().st_size

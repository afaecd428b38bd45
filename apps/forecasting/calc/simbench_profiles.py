"""SimBench relative profiles, read once per process and cached on disk.

Every SimBench code draws its profiles from the package's "complete data" set of its scenario
(``1-complete_data-mixed-all-<scenario>-sw``). Parsing those CSVs (≈120 MB) takes seconds and
``simbench.get_simbench_net`` far longer, so the first process that needs a data set writes the
relative profiles as one float32 ``.npz`` under the cache directory; later processes load that
file in tens of milliseconds, and within a process the arrays are kept in memory.

Namespaces follow the pandapower tables that use them: ``load`` (``<profile>_pload`` /
``<profile>_qload``), ``sgen`` (renewables and power plants) and ``storage``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .timebase import STEPS_PER_YEAR

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = "2"
FILES = {  # namespace -> CSV files of the complete data set
    "load": ("LoadProfile.csv",),
    "sgen": ("RESProfile.csv", "PowerPlantProfile.csv"),
    "storage": ("StorageProfile.csv",),
}
_MEMO: dict[str, "RelativeProfiles"] = {}
_LOCK = threading.Lock()


class ProfileDataError(RuntimeError):
    """The SimBench profile data cannot be found or read."""


@dataclass(frozen=True)
class RelativeProfiles:
    """Relative profiles of one SimBench data set.

    Attributes:
        dataset: the complete-data directory name.
        values: namespace -> (35136, n) float32 array of relative values.
        columns: namespace -> {profile column name: column position}.
    """

    dataset: str
    values: dict[str, np.ndarray]
    columns: dict[str, dict[str, int]]

    def column(self, namespace: str, name: str) -> int:
        """Position of a profile column, or -1 when the data set has no such profile."""
        return self.columns[namespace].get(name, -1)


def scenario_of_code(code: str) -> str:
    """The scenario digit of a SimBench code such as ``1-MV-rural--2-sw`` (default ``2``)."""
    match = re.search(r"-([012])-(?:no_)?sw$", code or "")
    return match.group(1) if match else DEFAULT_SCENARIO


def dataset_for_code(code: str) -> str:
    """The complete-data directory that holds the profiles of a SimBench code."""
    return f"1-complete_data-mixed-all-{scenario_of_code(code)}-sw"


def simbench_version() -> str:
    try:
        return importlib.metadata.version("simbench")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _data_dir(dataset: str) -> Path:
    # Locate the package without importing it (importing simbench takes seconds).
    spec = importlib.util.find_spec("simbench")
    if spec is None or not spec.submodule_search_locations:
        raise ProfileDataError("The simbench package is not installed.")
    path = Path(list(spec.submodule_search_locations)[0]) / "networks" / dataset
    if not path.is_dir():
        raise ProfileDataError(f"SimBench data set '{dataset}' is not in the installed simbench package.")
    return path


def _parse_csvs(dataset: str) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    directory = _data_dir(dataset)
    values, names = {}, {}
    for namespace, files in FILES.items():
        frames = []
        for filename in files:
            frame = pd.read_csv(directory / filename, sep=";", dtype={"time": str})
            frames.append(frame.drop(columns=["time"]))
        merged = pd.concat(frames, axis=1)
        merged = merged.loc[:, ~merged.columns.duplicated()]
        if len(merged) != STEPS_PER_YEAR:
            raise ProfileDataError(f"{dataset}: {namespace} profiles have {len(merged)} rows, not {STEPS_PER_YEAR}.")
        values[namespace] = np.ascontiguousarray(merged.to_numpy(dtype=np.float32))
        names[namespace] = [str(c) for c in merged.columns]
    return values, names


def cache_path(cache_dir: Path, dataset: str) -> Path:
    return Path(cache_dir) / f"simbench-profiles-{dataset}-v{simbench_version()}.npz"


def _write_cache(path: Path, values: dict, names: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {}
    for namespace in FILES:
        payload[f"{namespace}__values"] = values[namespace]
        payload[f"{namespace}__names"] = np.array(names[namespace], dtype=str)
    # Write then rename, so that a concurrent process never reads a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **payload)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; web and worker processes share it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cache(path: Path) -> tuple[dict, dict] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {ns: data[f"{ns}__values"] for ns in FILES}
            names = {ns: [str(n) for n in data[f"{ns}__names"]] for ns in FILES}
    except (OSError, KeyError, ValueError) as exc:
        log.warning("ignoring unreadable SimBench profile cache %s (%s)", path, exc)
        return None
    if any(v.shape[0] != STEPS_PER_YEAR for v in values.values()):
        return None
    return values, names


def relative_profiles(dataset: str, cache_dir: Path | None = None) -> RelativeProfiles:
    """The relative profiles of a SimBench data set: memory, else cache file, else the CSVs.

    Parameters:
        dataset: complete-data directory name (see :func:`dataset_for_code`).
        cache_dir: where the ``.npz`` cache lives; None disables the file cache.

    Returns:
        :class:`RelativeProfiles`.

    Raises:
        ProfileDataError: the data set is missing or malformed.
    """
    with _LOCK:
        if dataset in _MEMO:
            return _MEMO[dataset]
        loaded = None
        path = cache_path(cache_dir, dataset) if cache_dir is not None else None
        if path is not None and path.exists():
            loaded = _read_cache(path)
        if loaded is None:
            log.info("parsing SimBench profile CSVs of %s (first use; cached afterwards)", dataset)
            loaded = _parse_csvs(dataset)
            if path is not None:
                try:
                    _write_cache(path, *loaded)
                except OSError as exc:  # a read-only disk must not stop forecasting
                    log.warning("could not write SimBench profile cache %s (%s)", path, exc)
        values, names = loaded
        profiles = RelativeProfiles(
            dataset=dataset, values=values,
            columns={ns: {name: i for i, name in enumerate(names[ns])} for ns in FILES},
        )
        _MEMO[dataset] = profiles
        return profiles


def clear_memory_cache() -> None:
    """Forget the in-process copies (tests use this to exercise the file cache)."""
    with _LOCK:
        _MEMO.clear()

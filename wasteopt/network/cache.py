"""On-disk cache of travel matrices, keyed by a hash of road graph + sites.

The graph's fingerprint covers its coordinates, edges, lengths and truck travel times, so a
different speed table gives a different key. Files are ``<key>.npz`` in the cache directory
(default :func:`wasteopt._user_cache.default_cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wasteopt.model import Site

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def cache_key(graph_fingerprint: str, sites: Sequence[Site]) -> str:
    """A hex key for the matrices of ``sites`` (ids and coordinates, in order) on a graph."""
    payload = json.dumps(
        [CACHE_FORMAT, graph_fingerprint, [(s.id, s.lon, s.lat) for s in sites]],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_cached(directory: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``key``, or ``None`` if absent or unreadable."""
    path = directory / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable matrix cache %s (%s)", path, exc)
        return None


def store(directory: Path, key: str, **arrays: np.ndarray) -> None:
    """Write ``arrays`` under ``key`` atomically; a cache that cannot be written is skipped."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".npz")
    except OSError as exc:
        log.warning("could not write the matrix cache in %s (%s)", directory, exc)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, directory / f"{key}.npz")
    except OSError as exc:
        log.warning("could not write the matrix cache in %s (%s)", directory, exc)
    finally:
        Path(tmp).unlink(missing_ok=True)

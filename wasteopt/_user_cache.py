"""The user cache directory: travel matrices and numba's compiled code, never the package.

``$WASTEOPT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/wasteopt``, else ``~/.cache/wasteopt``.
numba's cache goes to ``$NUMBA_CACHE_DIR`` if set, else ``<cache dir>/numba``: numba's
default, ``__pycache__`` beside the source, leaves files in site-packages that ``pip
uninstall`` keeps and that then shadow an editable install of the package.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """Where matrices and compiled code are cached unless the caller names a directory."""
    if os.environ.get("WASTEOPT_CACHE_DIR"):
        return Path(os.environ["WASTEOPT_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "wasteopt"


def use_user_numba_cache() -> None:
    """Point numba's ``cache=True`` files at the user cache directory.

    Call it before the first ``@numba.njit(cache=True)`` of a module runs: numba picks a
    function's cache location when the decorator runs, from ``numba.config.CACHE_DIR``, which
    it reads from ``$NUMBA_CACHE_DIR`` (or ``.numba_config.yaml``) when it is imported.
    """
    import numba

    if not numba.config.CACHE_DIR:
        numba.config.CACHE_DIR = str(default_cache_dir() / "numba")

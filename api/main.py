"""``uvicorn api.main:app``: the API configured from ``WASTEOPT_*`` environment variables.

A bad setting, or a database another server holds, ends the process with one line on stderr.
"""

import sys

from api.app import create_app, lock_database
from api.settings import Settings
from wasteopt.errors import WasteoptError

try:
    _settings = Settings.from_env()
    lock_database(_settings.db).close()  # held for real by the app's lifespan
    app = create_app(_settings)
except WasteoptError as exc:
    print(f"wasteopt: error: {exc}", file=sys.stderr)
    sys.exit(2)

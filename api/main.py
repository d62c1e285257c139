"""``uvicorn api.main:app``: the API configured from ``WASTEOPT_*`` environment variables."""

from api.app import create_app

app = create_app()

"""The wasteopt HTTP API: a thin FastAPI service over the :mod:`wasteopt` library.

Start it with ``wasteopt serve`` or ``uvicorn api.main:app``. It imports :mod:`wasteopt`;
the library never imports it.
"""

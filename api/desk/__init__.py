"""The dispatch desk: the web page for dispatchers and planners, and the API's offline docs.

Plain HTML, CSS and JavaScript served by the API's own app, talking to the API over HTTP like
any client; the map library (Leaflet) and the docs' Swagger UI and ReDoc are vendored under
``static/vendor`` with their licences, so nothing is fetched from the internet.
"""

from api.desk.pages import install

__all__ = ["install"]

"""Road networks: load OSM or GraphML, truck travel times, snapping, matrices and leg paths.

The entry points are :func:`load_provider` (a graph file) and :class:`RoadNetworkProvider`
(a graph in memory, e.g. from :func:`download_graph` when online).
"""

from wasteopt.network.load import DropReport, download_graph, read_graph, truck_way
from wasteopt.network.provider import RoadNetworkProvider, load_provider
from wasteopt.network.snap import DEFAULT_SNAP_WARN_M, Snap
from wasteopt.network.speeds import DEFAULT_TRUCK_SPEEDS_KMH, read_speed_file, speed_table

__all__ = [
    "DEFAULT_SNAP_WARN_M",
    "DEFAULT_TRUCK_SPEEDS_KMH",
    "DropReport",
    "RoadNetworkProvider",
    "Snap",
    "download_graph",
    "load_provider",
    "read_graph",
    "read_speed_file",
    "speed_table",
    "truck_way",
]

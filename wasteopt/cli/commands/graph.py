"""``wasteopt graph build|info``: road graphs with truck travel times, and what they hold."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from wasteopt.errors import NetworkError

# osmnx takes over a second to import: the network modules load only when this command runs
if TYPE_CHECKING:
    from wasteopt.network.graph_summary import GraphSummary


_BUILD_EXAMPLES = (
    "  wasteopt graph build --osm county.osm.pbf --out graphs/county.graphml\n"
    '  wasteopt graph build --place "Daoxian, Yongzhou, Hunan, China"'
    " --out graphs/daoxian.graphml\n"
    "  wasteopt graph build --bbox 111.4,25.3,111.8,25.7 --out graphs/seat.graphml"
    " --speeds speeds.csv"
)
_INFO_EXAMPLE = "  wasteopt graph info graphs/daoxian.graphml"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="build a road graph from OSM, or describe one",
        description="Road graphs for `wasteopt plan --graph`: build GraphML with truck travel "
        "times from an OSM file (or, online, from OpenStreetMap), or summarize a graph.",
        epilog=f"examples:\n{_BUILD_EXAMPLES}\n{_INFO_EXAMPLE}",
    )
    actions = parser.add_subparsers(dest="graph_command", required=True, metavar="ACTION")

    build = actions.add_parser(
        "build",
        help="OSM (XML, .osm.bz2, PBF, or a place online) -> GraphML with truck travel times",
        description="Build a GraphML road graph with truck travel times from an OSM file or, "
        "online, from OpenStreetMap by place name or bounding box. Print what it holds.",
        epilog=f"examples:\n{_BUILD_EXAMPLES}",
    )
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--osm", type=Path, metavar="FILE", help="OSM XML, .osm.bz2 or .osm.pbf")
    source.add_argument(
        "--place", metavar="NAME", help='download by place name (online), e.g. "Daoxian, China"'
    )
    source.add_argument(
        "--bbox",
        metavar="W,S,E,N",
        help="download a bounding box in degrees (online): west,south,east,north",
    )
    build.add_argument("--out", type=Path, required=True, metavar="FILE", help="GraphML to write")
    _speeds_option(build)
    build.set_defaults(func=run_build)

    info = actions.add_parser(
        "info",
        help="nodes, edges, km of road by class, what is dropped",
        description="Describe a road graph: nodes, edges, km of road and truck hours by road "
        "class, and what routing drops (pieces not connected to the main network).",
        epilog=f"example:\n{_INFO_EXAMPLE}",
    )
    info.add_argument("graph", type=Path, help="GraphML or OSM file")
    _speeds_option(info)
    info.set_defaults(func=run_info)


def _speeds_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speeds",
        type=Path,
        metavar="FILE",
        help="truck speed overrides: JSON {class: km/h} or CSV highway,speed_kmh",
    )


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise NetworkError(f"--bbox {text!r}: give four numbers west,south,east,north") from None
    if not (west < east and south < north):
        raise NetworkError(f"--bbox {text!r}: west must be below east and south below north")
    return west, south, east, north


def _print_summary(name: str, summary: GraphSummary) -> None:
    print(f"{name}: {summary.nodes:,} nodes, {summary.edges:,} directed edges routable")
    print(f"  {summary.dropped.summary()}")
    print("  road km by class (two-way roads counted once), truck hours to drive them:")
    for road_class, km in summary.km_by_class.items():
        print(f"    {road_class:<28} {km:10.1f} km {summary.hours_by_class[road_class]:9.1f} h")
    total = sum(summary.km_by_class.values())
    print(f"    {'total':<28} {total:10.1f} km")


def run_build(args: argparse.Namespace) -> int:
    import osmnx as ox
    import requests

    from wasteopt.network.graph_summary import summarize
    from wasteopt.network.load import download_graph, keep_largest_component, read_osm
    from wasteopt.network.speeds import add_truck_travel_times, read_speed_file, speed_table

    if not str(args.out).lower().endswith(".graphml"):
        raise NetworkError(f"--out {args.out}: the file name must end in .graphml")
    speeds = read_speed_file(args.speeds) if args.speeds else None
    if args.osm is not None:
        graph = read_osm(args.osm)
    else:
        source = f"--place {args.place!r}" if args.place is not None else f"--bbox {args.bbox}"
        area = {"place": args.place} if args.place is not None else {"bbox": _bbox(args.bbox)}
        try:
            graph = download_graph(**area)
        except requests.RequestException as exc:
            raise NetworkError(
                f"{source}: cannot download from OpenStreetMap ({type(exc).__name__}: no"
                " internet access?); build from a downloaded OSM file with --osm FILE instead"
            ) from None
    add_truck_travel_times(graph, speed_table(speeds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, args.out)  # unconnected pieces too: `graph info` reports them
    dropped = keep_largest_component(graph)
    _print_summary(str(args.out), summarize(graph, dropped))
    return 0


def run_info(args: argparse.Namespace) -> int:
    from wasteopt.network.graph_summary import summarize
    from wasteopt.network.load import prepare_graph, read_graph
    from wasteopt.network.speeds import read_speed_file

    speeds = read_speed_file(args.speeds) if args.speeds else None
    graph = read_graph(args.graph)
    dropped = prepare_graph(graph, speeds)
    _print_summary(str(args.graph), summarize(graph, dropped))
    return 0

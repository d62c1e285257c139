"""The grid emission factor options shared by ``wasteopt plan`` and ``wasteopt report``."""

from __future__ import annotations

import argparse

from wasteopt.errors import WasteoptError
from wasteopt.impact import NATIONAL_GRID
from wasteopt.model import GridFactor


def add_grid_options(parser: argparse.ArgumentParser) -> None:
    """``--grid-factor KG`` and ``--grid-source TEXT``."""
    parser.add_argument(
        "--grid-factor",
        type=float,
        default=None,
        metavar="KG",
        help="grid emission factor, kg CO2 per kWh, for charging and avoided generation, e.g. a"
        f" regional or provincial figure (default: {NATIONAL_GRID.kg_co2_per_kwh:g},"
        f" {NATIONAL_GRID.source})",
    )
    parser.add_argument(
        "--grid-source",
        default=None,
        metavar="TEXT",
        help="where --grid-factor comes from (which grid, year and publisher); the report"
        " prints it",
    )


def grid_from_args(args: argparse.Namespace) -> GridFactor | None:
    """The grid factor the options give, or None when neither is given."""
    if args.grid_factor is None:
        if args.grid_source is not None:
            raise WasteoptError("--grid-source describes --grid-factor: give both")
        return None
    if not 0 < args.grid_factor <= 2.0:
        raise WasteoptError(
            f"--grid-factor {args.grid_factor:g}: give kg CO2 per kWh, above 0 and at most 2"
            " (China's 2022 national average is 0.5703)"
        )
    source = args.grid_source or "given by the user (--grid-factor)"
    return GridFactor(kg_co2_per_kwh=args.grid_factor, source=source)

"""CVRP instances in the manner of the X set, with routes as long as asked: a check on regimes
the development set lacks (its X instances average at most 25 customers a route).

The recipe follows the X set's generator as its paper describes it (Uchoa, Pecin, Pessoa,
Poggi, Vidal and Subramanian 2017, "New benchmark instances for the Capacitated Vehicle
Routing Problem", EJOR 257(3)): integer points on a 1,000 x 1,000 grid; the depot at the
centre (``C``), a corner (``E``) or anywhere (``R``); customers anywhere (``R``), clustered
around 3-8 seed points with an attraction that decays exponentially over 40 units (``C``), or
half and half (``RC``); the capacity set so that a route carries ``r`` customers on average.
Demands are drawn uniformly from 1-100 only (*assumption*: the paper mixes several demand
distributions; one keeps the route length the only thing that varies). No best-known cost
exists: compare solvers side by side.

``python -m benchmarks.xlike --out DIR`` writes :data:`LONG_ROUTES`; then
``python -m benchmarks.published --suite cvrp --dir DIR --time-limit 30 --clock cpu --seed
0,1,2 --peer pyvrp``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from benchmarks import instance_sets

GRID = 1000
CLUSTER_DECAY = 40.0
MAX_DEMAND = 100


@dataclass(frozen=True)
class Spec:
    """One instance: ``customers``, mean route size ``r``, depot and customer placement, seed."""

    customers: int
    r: int
    depot: str  # C, E or R
    placement: str  # R, C or RC
    seed: int

    def __post_init__(self) -> None:
        if self.customers < 1 or self.r < 1:
            raise ValueError(f"customers and r must be positive, not {self.customers}, {self.r}")
        if self.depot not in ("C", "E", "R"):
            raise ValueError(f"depot must be C, E or R, not {self.depot!r}")
        if self.placement not in ("R", "C", "RC"):
            raise ValueError(f"placement must be R, C or RC, not {self.placement!r}")

    @property
    def name(self) -> str:
        return f"G-n{self.customers + 1}-k{math.ceil(self.customers / self.r)}"


# Twelve instances of 300-1,000 customers and 25-150 customers a route, placements mixed.
LONG_ROUTES = [
    Spec(300, 50, "R", "RC", 100),
    Spec(450, 100, "E", "R", 101),
    Spec(650, 35, "C", "C", 102),
    Spec(800, 60, "R", "RC", 103),
    Spec(1000, 25, "E", "R", 104),
    Spec(1000, 80, "C", "RC", 105),
    Spec(400, 40, "C", "RC", 200),
    Spec(550, 120, "R", "C", 201),
    Spec(700, 70, "E", "RC", 202),
    Spec(900, 45, "R", "R", 203),
    Spec(600, 25, "R", "C", 204),
    Spec(750, 150, "C", "R", 205),
]


def _clustered(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` points drawn by rejection: a grid point is kept with the probability of its
    summed attraction to the seed points."""
    seeds = rng.integers(0, GRID + 1, (int(rng.integers(3, 9)), 2)).astype(float)
    points: list[np.ndarray] = []
    while len(points) < count:
        point = rng.integers(0, GRID + 1, 2).astype(float)
        attraction = sum(math.exp(-math.hypot(*(point - seed)) / CLUSTER_DECAY) for seed in seeds)
        if rng.random() < attraction:
            points.append(point)
    return np.array(points)


def vrp_text(spec: Spec) -> str:
    """The instance of ``spec`` in VRPLIB's format."""
    rng = np.random.default_rng(spec.seed)
    n = spec.customers
    if spec.depot == "C":
        depot = np.array([GRID // 2, GRID // 2])
    elif spec.depot == "E":
        depot = np.array([0, 0])
    else:
        depot = rng.integers(0, GRID + 1, 2)
    if spec.placement == "R":
        points = rng.integers(0, GRID + 1, (n, 2))
    else:
        clustered = n if spec.placement == "C" else n // 2
        points = _clustered(rng, clustered)
        if clustered < n:
            points = np.vstack([points, rng.integers(0, GRID + 1, (n - clustered, 2))])
        points = points.astype(int)
    demand = rng.integers(1, MAX_DEMAND + 1, n)
    capacity = math.ceil(spec.r * demand.sum() / n)
    lines = [
        f"NAME : {spec.name}",
        "TYPE : CVRP",
        f"DIMENSION : {n + 1}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        f"CAPACITY : {capacity}",
        "NODE_COORD_SECTION",
        f"1 {depot[0]} {depot[1]}",
        *(f"{k + 2} {x} {y}" for k, (x, y) in enumerate(points)),
        "DEMAND_SECTION",
        "1 0",
        *(f"{k + 2} {q}" for k, q in enumerate(demand)),
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """The command line: ``--out DIR`` writes the set there."""
    return instance_sets.main("python -m benchmarks.xlike", __doc__, LONG_ROUTES, vrp_text, argv)


if __name__ == "__main__":
    raise SystemExit(main())

"""Routing profiles that differ only by a rate, folded into one profile and a rate per type.

PyVRP keeps one distance and one duration matrix per routing profile, and its moves look up the
route's profile; a vehicle type's arc cost is its ``unit_distance_cost`` times its profile's
distance. The compiled search builds one profile per truck type's cost (cost per km, fees,
duty), so a fleet of five types whose only difference is the cost per km gets five matrices
where one and five rates say the same. Published heterogeneous fleets are such fleets: there
PyVRP ran about 16 % fewer iterations on five profiles than on one (X261-HD, 20 s, seeds 0
and 1; benchmarks/HISTORY.md).

A profile folds when its cost matrix is an integer multiple of another profile's base matrix
(the matrix divided by the greatest common divisor of its entries) and everything else that
reads the profile is the same: the durations and the facility each job's last leg home goes
through. Range-bound profiles keep their own matrix, as PyVRP's ``max_distance`` is read on it.
The fold is exact: every type's arc costs are what they were.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Profile:
    """One truck type's routing profile as the compiled search builds it."""

    cost: np.ndarray  # milli-CNY per arc (int64)
    secs: np.ndarray  # seconds per arc (int64)
    final_facility: np.ndarray  # [job, yard depot] -> depot of the last unload
    unreachable: int  # an out-of-reach arc's cost
    foldable: bool = True  # False where a range is read on the matrix


@dataclass(frozen=True)
class Folded:
    """The profiles after folding, and where each profile given went."""

    profiles: list[Profile]  # costs in the base unit of their rate
    index: list[int]  # given profile -> folded profile
    rate: list[int]  # given profile -> unit_distance_cost on its folded profile


def _divisor(cost: np.ndarray) -> int:
    """The greatest common divisor of ``cost``'s entries (1 where all are 0). The first row's
    is taken first: real costs seldom share a factor, and where that row's is 1 so is the
    whole matrix's, without a pass over it."""
    if int(np.gcd.reduce(cost[0])) == 1:
        return 1
    return max(1, int(np.gcd.reduce(cost.ravel())))


def _in_base(profile: Profile, divisor: int) -> Profile:
    if divisor == 1:
        return profile
    return replace(
        profile, cost=profile.cost // divisor, unreachable=profile.unreachable // divisor
    )


def _same_but_cost(a: Profile, b: Profile) -> bool:
    """Whether ``a`` and ``b`` have the same last unloads and durations (their out-of-reach
    arcs, if any, are among the costs; the bound itself only separates them from the rest).
    The last unloads (jobs x yards) are compared first: they are small, and differ wherever the
    costs per km and per hour weigh the way home differently."""
    return np.array_equal(a.final_facility, b.final_facility) and np.array_equal(a.secs, b.secs)


def fold(profiles: list[Profile]) -> Folded:
    """``profiles`` with every foldable profile that is a multiple of an earlier one's base
    matrix (and equal in all else) merged into it (see the module docstring).

    Only profiles alike but for their costs are divided (a gcd and a division over the matrix
    each), so a fleet whose profiles differ in durations or streams pays a comparison each."""
    alike: list[list[int]] = []
    for k, profile in enumerate(profiles):
        group = next(
            (
                g
                for g in alike
                if profile.foldable
                and profiles[g[0]].foldable
                and _same_but_cost(profiles[g[0]], profile)
            ),
            None,
        )
        if group is None:
            alike.append([k])
        else:
            group.append(k)
    folded: list[Profile] = []
    index = [0] * len(profiles)
    rate = [1] * len(profiles)
    for group in alike:
        if len(group) == 1:
            index[group[0]] = len(folded)
            folded.append(profiles[group[0]])
            continue
        first = len(folded)
        for k in group:
            rate[k] = _divisor(profiles[k].cost)
            base = _in_base(profiles[k], rate[k])
            match = next(
                (j for j in range(first, len(folded)) if np.array_equal(folded[j].cost, base.cost)),
                None,
            )
            if match is None:
                match = len(folded)
                folded.append(base)
            index[k] = match
    return Folded(profiles=folded, index=index, rate=rate)

"""Routing profiles folded into one matrix and a rate per type (wasteopt/routing/profiles.py)."""

from __future__ import annotations

import numpy as np
import pyvrp
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.convert import read_problem, suite_files, to_wasteopt
from benchmarks.published import select
from wasteopt.planning import _collection_problem
from wasteopt.routing.engine import engine_data
from wasteopt.routing.profiles import Profile, fold


@st.composite
def _profiles(draw) -> list[Profile]:
    """Profiles drawn as multiples of a few base matrices, some with other durations, facilities
    or a range, so that some fold and some may not."""
    n = draw(st.integers(2, 5))
    values = st.integers(0, 50)
    bases = [
        np.array(draw(st.lists(values, min_size=n * n, max_size=n * n)), dtype=np.int64).reshape(
            n, n
        )
        for _ in range(draw(st.integers(1, 2)))
    ]
    secs = [np.arange(n * n, dtype=np.int64).reshape(n, n) * k for k in (1, 2)]
    facility = [np.zeros((n, 1), dtype=np.int64), np.ones((n, 1), dtype=np.int64)]
    profiles = []
    for _ in range(draw(st.integers(1, 6))):
        rate = draw(st.integers(1, 12))
        profiles.append(
            Profile(
                cost=bases[draw(st.integers(0, len(bases) - 1))] * rate,
                secs=secs[draw(st.integers(0, 1))],
                final_facility=facility[draw(st.integers(0, 1))],
                unreachable=10**12,
                foldable=draw(st.integers(0, 3)) > 0,  # three in four
            )
        )
    return profiles


@settings(max_examples=200, deadline=None)
@given(_profiles())
def test_every_profile_keeps_its_costs_durations_and_last_unloads(profiles):
    folded = fold(profiles)
    for k, given_profile in enumerate(profiles):
        kept = folded.profiles[folded.index[k]]
        assert np.array_equal(kept.cost * folded.rate[k], given_profile.cost)
        assert np.array_equal(kept.secs, given_profile.secs)
        assert np.array_equal(kept.final_facility, given_profile.final_facility)
        if not given_profile.foldable:
            assert folded.rate[k] == 1
            assert sum(i == folded.index[k] for i in folded.index) == 1


def test_profiles_that_differ_only_by_a_rate_fold_and_others_do_not():
    base = np.array([[0, 3, 4], [3, 0, 5], [4, 5, 0]], dtype=np.int64)
    secs = base.copy()
    last = np.zeros((3, 1), dtype=np.int64)
    folded = fold(
        [
            Profile(base * 7, secs, last, 10**12),
            Profile(base * 10, secs, last, 10**12),
            Profile(base * 10, secs + 1, last, 10**12),  # other durations
            Profile(base * 10, secs, last + 1, 10**12),  # other last unloads
            Profile(base * 10, secs, last, 10**12, foldable=False),  # a range reads it
            Profile(base * 5 + 1, secs, last, 10**12),  # not a multiple
        ]
    )
    assert folded.index == [0, 0, 2, 3, 4, 1]
    assert folded.rate == [7, 10, 1, 1, 1, 1]
    assert np.array_equal(folded.profiles[0].cost, base)


def test_a_published_mixed_fleet_shares_one_matrix_at_each_types_rate():
    """X110-HD's nine truck types differ in payload, fixed cost and cost per km: PyVRP sees one
    matrix, and each type's arcs cost what its own cost per km makes them."""
    converted = to_wasteopt(read_problem("hfvrp", select(suite_files("hfvrp"), "X110-HD")[0]))
    problem = _collection_problem(converted.instance)
    matrices = converted.matrices
    engine = engine_data(problem, matrices.distance_m, matrices.duration_s, matrices.index())
    data = engine.data
    assert data.num_vehicle_types == len(converted.problem.groups) > 1
    assert data.num_profiles == 1
    metres = converted.problem.distance
    first, second = (converted.location_of_site[job.site_id] for job in problem.jobs[:2])
    depot = converted.problem.depots[0]
    path_metres = metres[depot, first] + metres[first, second] + metres[second, depot]
    for t, vehicle_type in enumerate(data.vehicle_types()):
        route = pyvrp.Route(data, [0, 1], t)  # clients 0 and 1: jobs 0 and 1
        cost_per_km = problem.vehicles[engine.type_vehicles[t][0]].vehicle_type.cost_per_km
        assert route.distance_cost() == round(path_metres * cost_per_km)
        assert vehicle_type.unit_distance_cost > 1


def test_a_range_bound_profile_first_does_not_keep_alike_ones_apart():
    base = np.array([[0, 2], [3, 0]], dtype=np.int64)
    last = np.zeros((2, 1), dtype=np.int64)
    folded = fold(
        [
            Profile(base * 4, base, last, 10**12, foldable=False),
            Profile(base * 4, base, last, 10**12),
            Profile(base * 6, base, last, 10**12),
        ]
    )
    assert folded.index == [0, 1, 1]
    assert folded.rate == [1, 4, 6]

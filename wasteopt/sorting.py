"""Sorting at source (垃圾分类): households take food waste and recyclables out of residual waste.

A sorting rate (分类率) is the share of a material that households sort out of their residual
waste. :func:`sort_at_source` moves that share of every residual point's tonnes into the
kitchen stream (household food waste, which the county plan treats in its kitchen-waste system,
seed 专栏14 item 2) and the recyclable stream (to a sorting and recycling centre, seed (六)4).
The material shares of residual waste are :data:`wasteopt.factors.RESIDUAL_FOOD_SHARE` and
:data:`~wasteopt.factors.RESIDUAL_RECYCLABLE_SHARE`.

Sorted waste is pooled per township by default, as in rural practice (村收集、镇转运): the
village cleaners bring it to one collection point of the township, the township's largest
residual point, where the trucks of that stream call. ``pooled="point"`` leaves it at each
point instead. A pool heavier than the smallest truck of its stream is split into loads it fits.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wasteopt import factors as F
from wasteopt.io import instance_from_dict
from wasteopt.model import CollectionPoint, Instance

# Time to load one pooled collection point: positioning plus lifting bins, as for a residual
# point (*assumption*, the Daoxian generator's 4 min + 6 min per tonne, rounded up to 5 min).
POOLED_SERVICE_BASE_MIN = 5.0
POOLED_SERVICE_PER_T_MIN = 6.0
SORTED_STREAMS = {"kitchen": "厨余垃圾", "recyclable": "可回收物"}


class SortingRates(BaseModel):
    """What households sort out of residual waste, as shares of each material (0 to 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kitchen_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of household food waste sorted into the kitchen stream (分类率)",
    )
    recyclable_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of paper, plastics, glass, metal and textiles sorted as recyclables",
    )
    pooled: Literal["township", "point"] = Field(
        default="township",
        description="where sorted waste waits: one point per township, or every point",
    )


def _moved_shares(rates: SortingRates) -> dict[str, float]:
    return {
        "kitchen": F.RESIDUAL_FOOD_SHARE * rates.kitchen_rate,
        "recyclable": F.RESIDUAL_RECYCLABLE_SHARE * rates.recyclable_rate,
    }


def _load_size(instance: Instance, stream: str) -> float | None:
    payloads = [
        vt.payload_t
        for vt in instance.vehicle_types
        if vt.tier == "collection" and stream in vt.streams
    ]
    return min(payloads) if payloads else None


def _free_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... when it is taken (sorted a second time)."""
    found, k = wanted, 1
    while found in taken:
        k += 1
        found = f"{wanted}-{k}"
    taken.add(found)
    return found


def _pooled_points(
    host: CollectionPoint, stream: str, tonnes: float, load_t: float | None, taken: set[str]
) -> list[CollectionPoint]:
    """``tonnes`` of ``stream`` waiting at ``host``'s place, in loads of at most ``load_t``."""
    count = 1 if load_t is None else max(1, math.ceil(tonnes / load_t - 1e-9))
    label = SORTED_STREAMS[stream]
    points = []
    for k in range(1, count + 1):
        share = round(tonnes / count, 6)
        suffix = f"-{stream}" if count == 1 else f"-{stream}-{k}"
        name = f"{host.township or host.name}{label}" + ("" if count == 1 else f"{k}")
        points.append(
            CollectionPoint(
                id=_free_id(f"{host.id}{suffix}", taken),
                name=name,
                lon=host.lon,
                lat=host.lat,
                stream=stream,
                tonnes_per_day=share,
                service_min=round(POOLED_SERVICE_BASE_MIN + POOLED_SERVICE_PER_T_MIN * share, 1),
                township=host.township,
            )
        )
    return points


def sort_at_source(instance: Instance, rates: SortingRates) -> Instance:
    """``instance`` with the sorted shares moved out of every residual point.

    Residual points keep what is left; the kitchen and recyclable tonnes appear as new points
    (ids ``<host point>-kitchen``, ``<host point>-recyclable``) pooled as ``rates.pooled`` says.
    The total tonnage of the day is unchanged; ``settings.residual_sorted_out`` records what was
    sorted out, so the impact counts the residual waste's changed composition. An id already
    taken gets ``-2``, ``-3``... (an instance sorted twice).
    """
    shares = _moved_shares(rates)
    kept_share = 1.0 - sum(shares.values())
    residual = [p for p in instance.points if p.stream == "residual"]
    if not residual or kept_share >= 1.0:
        return instance
    groups: dict[str, list[CollectionPoint]] = defaultdict(list)
    for point in residual:
        key = point.township if rates.pooled == "township" and point.township else point.id
        groups[key].append(point)
    added: list[CollectionPoint] = []
    taken = {site.id for site in instance.sites}
    for members in groups.values():
        host = max(members, key=lambda p: (p.tonnes_per_day, p.id))
        total = sum(p.tonnes_per_day for p in members)
        for stream, share in shares.items():
            if share * total > 0:
                load_t = _load_size(instance, stream)
                added += _pooled_points(host, stream, share * total, load_t, taken)
    points = [
        p.model_copy(update={"tonnes_per_day": p.tonnes_per_day * kept_share})
        if p.stream == "residual"
        else p
        for p in instance.points
    ]
    document = instance.model_dump(by_alias=True)
    document["points"] = [p.model_dump(by_alias=True) for p in [*points, *added]]
    document["settings"]["residual_sorted_out"] = _sorted_out(instance, rates)
    return instance_from_dict(document)


def _sorted_out(instance: Instance, rates: SortingRates) -> dict[str, float]:
    """The share of each material sorted out so far, this sorting on top of any before it."""
    sorted_out = dict(instance.settings.residual_sorted_out)
    rate = dict.fromkeys(F.RECYCLABLE_MATERIALS, rates.recyclable_rate)
    rate["food"] = rates.kitchen_rate
    for material, share in rate.items():
        sorted_out[material] = 1.0 - (1.0 - sorted_out.get(material, 0.0)) * (1.0 - share)
    return sorted_out

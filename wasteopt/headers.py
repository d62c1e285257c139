"""The words of every sheet a person opens, in Chinese and English: the headers and labels of
the per-truck CSV sheets and of the Excel workbook, and the plan's own words (actions, tiers,
streams) as the workbook shows them. Chinese (``zh``) is the default: Daoxian's dispatchers
read Chinese.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "overview": "总览",
        "title": "收运计划",
        "area": "区域",
        "date": "日期",
        "cost": "总成本（元/天）",
        "vehicle": "车辆",
        "vehicle_type": "车型",
        "tier": "层级",
        "stream": "垃圾类别",
        "start": "出车",
        "end": "收车",
        "trips": "卸载次数",
        "collected_t": "收集量（吨）",
        "distance_km": "里程（公里）",
        "duration_min": "工作时长（分钟）",
        "total": "合计",
        "seq": "序号",
        "site_id": "地点编号",
        "place": "地点",
        "action": "作业",
        "arrive": "到达",
        "leave": "离开",
        "tonnes": "吨数",
        "load_after_t": "作业后载重（吨）",
        "km_from_prev": "距上站（公里）",
        "soc_kwh": "作业后电量（千瓦时）",
        "charged_kwh": "充电量（千瓦时）",
        "note": "说明",
        "unserved": "未收运点",
        "backlog": "中转站积压",
        "point": "收集点",
        "station": "中转站",
        "reason": "原因",
        "none": "无",
        "caveats": "假设或近似",
    },
    "en": {
        "overview": "Overview",
        "title": "Collection plan",
        "area": "Area",
        "date": "Date",
        "cost": "Total cost (CNY/day)",
        "vehicle": "Vehicle",
        "vehicle_type": "Vehicle type",
        "tier": "Tier",
        "stream": "Stream",
        "start": "Leaves",
        "end": "Returns",
        "trips": "Unloads",
        "collected_t": "Collected (t)",
        "distance_km": "Distance (km)",
        "duration_min": "On duty (min)",
        "total": "Total",
        "seq": "No.",
        "site_id": "Site id",
        "place": "Place",
        "action": "Action",
        "arrive": "Arrive",
        "leave": "Leave",
        "tonnes": "Tonnes",
        "load_after_t": "Load after (t)",
        "km_from_prev": "km from previous",
        "soc_kwh": "Charge after (kWh)",
        "charged_kwh": "Charged (kWh)",
        "note": "Note",
        "unserved": "Unserved points",
        "backlog": "Station backlog",
        "point": "Point",
        "station": "Station",
        "reason": "Reason",
        "none": "none",
        "caveats": "Assumed or approximate",
    },
}
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "start": "出发",
        "collect": "收集",
        "unload": "卸载",
        "pickup": "提箱",
        "charge": "充电",
        "break": "休息",
        "breakdown": "故障",
        "position": "上报位置",
        "end": "收车",
        "collection": "收集",
        "transfer": "转运",
        "residual": "其他垃圾",
        "kitchen": "餐厨垃圾",
        "recyclable": "可回收物",
    },
    "en": {},
}


def word(language: Language, term: str) -> str:
    """A plan's word (``collect``, ``residual``...) in ``language``; English keeps the word."""
    return WORDS[language].get(term, term)

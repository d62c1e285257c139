"""``/v1/graphs``: the road graphs this server holds, which an instance's ``settings.graph``
may name (files of its graphs folder, by their names inside it; never a server path)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import SettingsDep

router = APIRouter(prefix="/v1/graphs", tags=["instances"])
MAX_LISTED = 500


class GraphList(BaseModel):
    """Road graph files an instance may name in ``settings.graph``."""

    graphs: list[str] = Field(description="names relative to the server's graphs folder")


@router.get("", response_model=GraphList)
def list_graphs(settings: SettingsDep) -> GraphList:
    """The ``.graphml`` files of the server's graphs folder, sorted by name."""
    root = settings.data_dir
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.graphml") if p.is_file())
    return GraphList(graphs=found[:MAX_LISTED])

"""How long the dispatch desk takes to show the Daoxian plan in headless Chromium.

Run it as a script (it is not a test)::

    python benchmarks/desk_render.py [--time-limit 20] [--runs 3]

It serves the API and desk with uvicorn on a free 127.0.0.1 port (fresh database, road graphs
from ``graphs/``), stores the Daoxian instance (1,020 points) on the shipped schematic road
graph, plans its day once with ``--time-limit``, then opens ``/?job=<id>`` in a new browser
context ``--runs`` times (nothing cached) and measures from the start of navigation until the
page has drawn everything: the road network, every route line, the sites, the timeline, the
tables and the impact block (the page sets ``body[data-rendered]`` when done). The first
opening after the server starts also loads the road graph into the server; it is reported
apart as ``cold``, the median of ``--runs`` later openings as the figure. Goal of issue 18:
under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from wasteopt.io import load_instance  # noqa: E402

DAOXIAN = REPO / "instances" / "daoxian" / "instance.json"
GRAPH = "daoxian.graphml"  # inside graphs/, the server's road-graph folder


def serve(db: Path) -> tuple[uvicorn.Server, str]:
    """The API and desk on a free loopback port, in a thread; returns once it answers."""
    settings = Settings(db=db, data_dir=REPO / "graphs", workers=1, max_time_limit_s=600)
    config = uvicorn.Config(create_app(settings), port=0, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="desk-server", daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def plan_daoxian(client: httpx.Client, time_limit_s: float) -> tuple[str, int]:
    """Store the Daoxian instance on its road graph, plan it; the job id and its routes."""
    instance = load_instance(DAOXIAN).model_copy(deep=True)
    document = instance.model_dump(mode="json", by_alias=True)
    document["settings"]["graph"] = GRAPH
    stored = client.post("/v1/instances", json=document)
    stored.raise_for_status()
    job = client.post(
        "/v1/plans", json={"instance_id": stored.json()["id"], "time_limit_s": time_limit_s}
    )
    job.raise_for_status()
    job_id = job.json()["id"]
    while (status := client.get(f"/v1/plans/{job_id}").json())["status"] in ("queued", "running"):
        time.sleep(1)
    if status["status"] != "done":
        raise SystemExit(f"the Daoxian plan ended {status['status']}: {status['error']}")
    routes = len(client.get(f"/v1/plans/{job_id}/result").json()["routes"])
    if not routes:
        raise SystemExit("the Daoxian plan has no routes: nothing to render")
    return job_id, routes


def render_seconds(page: Page, job_id: str) -> tuple[float, float, dict[str, float]]:
    """Seconds from navigation start until the desk has drawn the plan ``job_id``, until its
    data had arrived, and each API request's duration."""
    page.goto(f"/?job={job_id}")
    page.wait_for_selector(f'body[data-rendered="{job_id}"]', timeout=120_000)
    requests = page.evaluate(
        """() => Object.fromEntries(performance.getEntriesByType("resource")
            .filter(e => e.name.includes("/v1/"))
            .map(e => [new URL(e.name).pathname.split("/").pop(), e.duration / 1000]))"""
    )
    rendered, data = page.evaluate("[window.deskRenderedAt, window.deskDataAt]")
    return rendered / 1000.0, data / 1000.0, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=20.0, help="plan search time, s")
    parser.add_argument("--runs", type=int, default=3, help="openings measured after the first")
    parser.add_argument("--screenshot", type=Path, help="save the last opening as this PNG")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="desk-render-") as folder:
        server, base = serve(Path(folder) / "desk.db")
        with httpx.Client(base_url=base, timeout=120) as client:
            started = time.monotonic()
            job_id, routes = plan_daoxian(client, args.time_limit)
            print(f"Daoxian plan: {routes} routes, solved in {time.monotonic() - started:.0f} s")
        timings: list[float] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            for run in range(args.runs + 1):
                context = browser.new_context(
                    base_url=base, viewport={"width": 1400, "height": 1000}
                )
                page = context.new_page()
                seconds, data_s, requests = render_seconds(page, job_id)
                lines = page.locator(".route-line").count()
                rows = page.locator(".timeline-row").count()
                assert lines == rows == routes, (lines, rows, routes)
                slowest = sorted(requests.items(), key=lambda item: -item[1])[:3]
                print(
                    f"{'cold' if run == 0 else f'run {run}'}: {seconds:.2f} s"
                    f" (data in {data_s:.2f} s; slowest requests"
                    f" {', '.join(f'{name} {s:.2f} s' for name, s in slowest)})"
                )
                if run:
                    timings.append(seconds)
                if run == args.runs and args.screenshot:
                    page.screenshot(path=args.screenshot, full_page=True)
                context.close()
            browser.close()
        server.should_exit = True
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "routes": routes,
                "median_s": round(statistics.median(timings), 3),
                "runs_s": [round(t, 3) for t in timings],
                "load_average_1min": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

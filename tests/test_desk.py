"""The dispatch desk in a real browser: Debian's Chromium, headless, driven by Playwright,
against ``wasteopt serve`` on a loopback port. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openpyxl
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from test_api_e2e import free_port

from api.app import create_app
from api.settings import Settings
from wasteopt.apikeys import KeyRing

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "instances" / "examples" / "small.json"
DAOXIAN = REPO / "instances" / "daoxian"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium")
# a points CSV as Excel saves it on a Chinese-language Windows: GBK, Chinese names
GOOD_CSV = (
    "id,name,lon,lat,stream,tonnes_per_day,service_min\n"
    "Q1,上关村,111.60,25.53,residual,1.2,5\n"
    "Q2,营江村,111.62,25.51,residual,0.8,5\n"
)
JSON = {"content-type": "application/json"}
BAD_CSV = "id,name,lon,lat,stream,tonnes_per_day\nQ1,上关村,111.60,北纬,residual,1.2\n"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
# upper bounds only, for a loaded machine: a passing step takes what it takes
expect.set_options(timeout=30_000)


@contextmanager
def serving(settings: Settings) -> Iterator[httpx.Client]:
    """The API and desk served by uvicorn on a free loopback port, in a thread of this process
    (its solver processes as in production), with a client for checking what the page shows."""
    config = uvicorn.Config(create_app(settings), port=free_port(), log_level="warning")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, name="desk-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{config.port}", timeout=60) as client:
            yield client
    finally:
        served.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The desk of a server without keys (every local caller acts as admin)."""
    db = tmp_path_factory.mktemp("desk") / "desk.db"
    with serving(Settings(db=db, data_dir=REPO / "graphs", workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    playwright: Playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@contextmanager
def offline_page(browser: Browser, server: httpx.Client) -> Iterator[Page]:
    """A fresh page on ``server`` that fails the test on any request leaving the server."""
    context = browser.new_context(
        base_url=str(server.base_url),
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
    )
    outside: list[str] = []

    def only_local(route, request) -> None:
        if request.url.startswith(str(server.base_url)):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", only_local)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.on("pageerror", lambda error: outside.append(f"page error: {error}"))
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"the page reached outside the server or failed: {outside}"


@pytest.fixture
def page(browser: Browser, desk: httpx.Client) -> Iterator[Page]:
    with offline_page(browser, desk) as page:
        yield page


def shoot(page: Page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)


def upload_example(page: Page) -> str:
    page.goto("/")
    page.click("#upload-box summary")
    page.set_input_files("#upload-file", EXAMPLE)
    page.click("#upload-submit")
    expect(page.locator("#upload-note")).to_contain_text("example-small")
    return page.input_value("#instance-select")


def start_example_plan(page: Page, desk: httpx.Client, time_limit_s: int) -> None:
    """Store the small example and start planning it on the desk."""
    instance_id = desk.post("/v1/instances", content=EXAMPLE.read_bytes(), headers=JSON).json()[
        "id"
    ]
    page.goto("/")
    page.select_option("#instance-select", instance_id)
    page.fill("#time-limit", str(time_limit_s))
    page.click("#start-plan")


def test_dispatcher_plans_the_day_and_downloads_the_workbook(
    page: Page, desk: httpx.Client, tmp_path: Path
) -> None:
    instance_id = upload_example(page)
    assert desk.get(f"/v1/instances/{instance_id}").json()["name"] == "example-small"
    page.fill("#time-limit", "2")
    page.click("#start-plan")
    seen: list[int] = []
    while page.get_attribute("body", "data-rendered") is None:
        seen.append(int(page.get_attribute("#progress-bar", "aria-valuenow") or 0))
        page.wait_for_timeout(150)
        assert len(seen) < 1000, f"no plan after 150 s; progress {seen[-5:]}"
    # the bar shows progress between start and end and never goes back (how many distinct
    # values a poll every 150 ms catches depends on the machine's load, not on the desk)
    moving = [share for share in seen if 0 < share < 100]
    assert moving, f"the progress bar did not move while solving: {seen}"
    assert seen == sorted(seen)
    expect(page.locator("#progress-bar")).to_have_attribute("aria-valuenow", "100")

    job_id = page.get_attribute("body", "data-rendered")
    plan = desk.get(f"/v1/plans/{job_id}/result").json()
    vehicles = [route["vehicle_id"] for route in plan["routes"]]
    assert vehicles
    expect(page.locator(".route-line")).to_have_count(len(vehicles))
    expect(page.locator(".timeline-row")).to_have_count(len(vehicles))
    assert (
        page.locator(".timeline-row").evaluate_all("rows => rows.map(r => r.dataset.vehicle)")
        == vehicles
    )
    expect(page.locator("#map-note")).to_have_class("note approximate")  # no road graph

    first = plan["routes"][0]
    page.click(f'.truck-list li[data-vehicle="{first["vehicle_id"]}"]')
    expect(page.locator("#truck-detail table.stops tbody tr")).to_have_count(len(first["stops"]))
    expect(page.locator("#truck-detail")).to_contain_text(first["stops"][1]["arrive"])
    shoot(page, "dispatch-day")

    with page.expect_download() as download:
        page.click("#download-workbook")
    path = tmp_path / "plan.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["总览", *vehicles]
    sheet = book[first["vehicle_id"]]
    rows = list(sheet.iter_rows(values_only=True))
    instance = json.loads(EXAMPLE.read_text("utf-8"))
    type_name = next(
        v["name"] for v in instance["vehicle_types"] if v["id"] == first["vehicle_type"]
    )
    assert rows[1][:2] == ("车型", type_name)
    assert rows[2][:2] == ("日期", plan["date"])
    assert rows[5][:4] == ("序号", "地点编号", "地点", "作业")
    assert len(rows) == 6 + len(first["stops"]) + 1
    assert rows[-1][0] == "合计"
    assert rows[-1][8] == pytest.approx(first["distance_km"], abs=0.01)

    sheet_link = page.locator("#downloads .sheets a").first
    with page.expect_download() as download:
        sheet_link.click()
    assert Path(download.value.path()).read_bytes().startswith("\ufeff车辆,".encode())
    page.click("#lang-switch")  # the links follow the page's language
    expect(sheet_link).to_have_attribute("href", re.compile(r"\?lang=en$"))
    page.click("#lang-switch")

    page.goto(f"/print?job={job_id}")
    expect(page.locator("section.sheet")).to_have_count(len(vehicles))
    page.emulate_media(media="print")
    shoot(page, "print-sheets")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == len(vehicles)  # one A4 page a truck


def test_csv_upload_reads_gbk_and_shows_the_api_message_next_to_the_file(
    page: Page, desk: httpx.Client, tmp_path: Path
) -> None:
    base = desk.post("/v1/instances", content=EXAMPLE.read_bytes(), headers=JSON).json()["id"]
    bad = tmp_path / "坏点.csv"
    bad.write_bytes(BAD_CSV.encode("gbk"))
    page.goto("/")
    page.click("#upload-box summary")
    page.select_option("#upload-base", base)
    page.set_input_files("#upload-file", bad)
    page.click("#upload-submit")
    problem = desk.post(
        f"/v1/instances?base={base}", content=BAD_CSV.encode(), headers={"content-type": "text/csv"}
    ).json()["errors"][0]
    message = page.locator('.field-error[data-for="file"]')
    expect(message).to_be_visible()
    expect(message).to_have_text(f"{problem['loc']}: {problem['msg']}")
    expect(page.locator("#upload-note")).to_contain_text("GBK")
    shoot(page, "bad-csv")

    good = tmp_path / "points.csv"
    good.write_bytes(GOOD_CSV.encode("gbk"))
    page.set_input_files("#upload-file", good)
    page.fill("#upload-name", "两个点")
    page.click("#upload-submit")
    expect(page.locator("#upload-note")).to_contain_text("两个点")
    expect(message).to_be_hidden()
    created = desk.get(f"/v1/instances/{page.input_value('#instance-select')}").json()
    assert [p["name"] for p in created["instance"]["points"]] == ["上关村", "营江村"]


def test_language_switch_and_connection_loss(page: Page, desk: httpx.Client) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("环卫收运调度台")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Waste collection dispatch desk")
    expect(page.locator("#start-plan")).to_have_text("Plan the day")
    shoot(page, "english")
    page.click("#lang-switch")
    expect(page.locator("#start-plan")).to_have_text("开始编排")

    def listing(url: str) -> bool:
        return "/v1/instances?" in url

    page.route(listing, lambda route: route.abort("connectionrefused"))
    page.click("#refresh-instances")
    expect(page.locator("#connection")).to_be_visible()
    page.unroute(listing)
    page.click("#refresh-instances")
    expect(page.locator("#connection")).to_be_hidden()


def test_planner_sites_compares_and_opens_a_scenario_on_the_map(
    page: Page, desk: httpx.Client
) -> None:
    instance_id = desk.post("/v1/instances", content=EXAMPLE.read_bytes(), headers=JSON).json()[
        "id"
    ]
    page.goto("/")
    page.click('.tab[data-view="planning"]')
    page.select_option("#siting-instance", instance_id)
    page.fill('#siting-form input[name="time_limit_s"]', "5")
    page.click("#siting-form button[type=submit]")
    expect(page.locator("#siting-result")).to_be_visible(timeout=120_000)
    expect(page.locator("#siting-map .station-open").first).to_be_visible()

    page.select_option("#compare-instance", instance_id)
    page.fill('#compare-form input[name="time_limit_s"]', "1")
    page.fill(
        '#compare-form textarea[name="scenarios"]',
        '{"name": "二期", "facilities": [{"id": "INC", "capacity_t_per_day": 900}]}',
    )
    page.click("#compare-form button[type=submit]")
    expect(page.locator("#compare-result")).to_be_visible(timeout=180_000)
    header = page.locator("table.comparison thead th")
    expect(header).to_have_count(2 + 3 + 2)  # metric, unit, 3 scenarios, 2 differences
    expect(page.locator("#compare-verdict")).to_contain_text("年成本")
    shoot(page, "planner")

    page.click('.open-scenario[data-index="1"]')
    expect(page.locator("#view-dispatch")).to_be_visible()
    expect(page.locator("#plan-summary")).to_contain_text("二期")
    count = page.locator(".route-line").count()
    assert count > 0
    expect(page.locator(".timeline-row")).to_have_count(count)


def test_shipped_instance_with_points_csv_and_road_graph(page: Page, desk: httpx.Client) -> None:
    page.goto("/")
    page.click("#upload-box summary")
    page.set_input_files("#upload-file", DAOXIAN / "instance.json")
    page.click("#upload-submit")
    expect(page.locator('.field-error[data-for="file"]')).to_contain_text("points.csv")

    page.set_input_files("#upload-file", [DAOXIAN / "instance.json", DAOXIAN / "points.csv"])
    page.select_option("#upload-graph", "daoxian.graphml")
    page.click("#upload-submit")
    expect(page.locator("#upload-note")).to_contain_text("daoxian")
    listed = desk.get("/v1/instances").json()["items"]
    assert [i["points"] for i in listed if i["name"] == "daoxian"] == [1020]  # no stray base
    stored = desk.get(f"/v1/instances/{page.input_value('#instance-select')}").json()
    assert stored["instance"]["settings"]["graph"] == "daoxian.graphml"


def test_stop_early_keeps_the_best_plan_and_cancel_keeps_none(
    page: Page, desk: httpx.Client
) -> None:
    start_example_plan(page, desk, time_limit_s=60)
    expect(page.locator("#stop-plan")).to_be_enabled(timeout=60_000)  # running
    page.click("#stop-plan")
    expect(page.locator("body")).to_have_attribute(
        "data-rendered", re.compile(".+"), timeout=60_000
    )
    job_id = page.get_attribute("body", "data-rendered")
    assert desk.get(f"/v1/plans/{job_id}/result").json()["stats"][0]["stopped_early"]
    expect(page.locator("#plan-summary .warn")).to_have_text("（已提前结束）")

    page.click("#start-plan")
    expect(page.locator("#cancel-plan")).to_be_enabled()
    page.click("#cancel-plan")
    expect(page.locator("#progress-panel")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#results")).to_be_hidden()


def test_api_docs_and_redoc_render_offline(page: Page) -> None:
    """Swagger UI and ReDoc from the wheel show the API's title and its operations (the page
    fixture fails the test on any request that leaves the server)."""
    page.goto("/docs")
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("wasteopt API", timeout=60_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.goto("/redoc")
    expect(page.locator("h1")).to_contain_text("wasteopt API", timeout=60_000)
    expect(page.locator('[data-section-id^="operation/"] h2').first).to_be_visible()
    shoot(page, "redoc", full_page=False)  # the whole page is tens of thousands of pixels


def test_login_with_a_real_key_then_the_desk_loads_the_stored_instances(
    browser: Browser, tmp_path: Path
) -> None:
    db = tmp_path / "keyed.db"
    ring = KeyRing(db)  # as `wasteopt keys add desk-1 --role dispatcher` does
    _, key = ring.add("desk-1", role="dispatcher")
    ring.close()
    with (
        serving(Settings(db=db, data_dir=REPO / "graphs", workers=1)) as server,
        offline_page(browser, server) as page,
    ):
        bearer = {**JSON, "authorization": f"Bearer {key}"}
        stored = server.post("/v1/instances", content=EXAMPLE.read_bytes(), headers=bearer)
        wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
        refusal = server.post("/v1/session", json={"key": wrong})
        assert refusal.status_code == 401

        page.goto("/")
        expect(page.locator("#login")).to_be_visible()
        page.fill('#login-form input[name="key"]', wrong)
        page.click("#login-form button[type=submit]")
        message = page.locator('#login-form .field-error[data-for="key"]')
        expect(message).to_have_text(refusal.json()["detail"])
        shoot(page, "login-refused")

        page.fill('#login-form input[name="key"]', key)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login")).to_be_hidden()
        expect(page.locator("#logout")).to_be_visible()
        [cookie] = page.context.cookies()
        assert cookie["name"] == "wasteopt_session" and cookie["httpOnly"]
        option = page.locator(f'#instance-select option[value="{stored.json()["id"]}"]')
        expect(option).to_have_count(1)
        expect(page.locator("#instance-select")).to_contain_text("example-small")


def test_dispatcher_replans_after_a_breakdown_and_an_extra_pickup(
    page: Page, desk: httpx.Client
) -> None:
    """A truck breaks down and a canteen calls: the re-plan's diff names the broken truck and
    the points it lost, its changed routes stand out on the map, and a bad event's API message
    shows next to that event."""
    start_example_plan(page, desk, time_limit_s=2)
    rendered = page.locator("body")
    expect(rendered).to_have_attribute("data-rendered", re.compile(".+"), timeout=120_000)
    morning = page.get_attribute("body", "data-rendered")
    plan = desk.get(f"/v1/plans/{morning}/result").json()
    route = max(
        (r for r in plan["routes"] if r["tier"] == "collection"), key=lambda r: len(r["stops"])
    )
    collected, at = route["stops"][1], route["stops"][2]["depart"]
    assert collected["action"] == "collect"
    refused = desk.post(
        f"/v1/plans/{morning}/replan",
        json={"at": at, "events": [{"type": "point_cancelled", "point": collected["site_id"]}]},
    )
    [problem] = refused.json()["errors"]
    assert problem["loc"] == "events[0].point"

    page.fill("#replan-at", at)
    page.select_option("#replan-type", "breakdown")
    page.select_option("#replan-vehicle", route["vehicle_id"])
    page.click("#replan-add")
    page.select_option("#replan-type", "point_added")
    page.click("#map", position={"x": 300, "y": 250})  # a new place: where the canteen is
    expect(page.locator("#replan-place-note")).to_contain_text(",")
    page.fill("#replan-tonnes", "0.3")
    page.click("#replan-add")
    page.select_option("#replan-type", "point_cancelled")
    page.select_option("#replan-point", collected["site_id"])
    page.click("#replan-add")
    expect(page.locator("#replan-events li")).to_have_count(3)
    page.fill("#replan-time-limit", "2")
    page.click("#replan-send")
    message = page.locator('#replan-form .field-error[data-for="events[2]"]')
    expect(message).to_have_text(f"point: {problem['msg']}")
    shoot(page, "replan-refused", full_page=False)

    page.click('#replan-events li[data-index="2"] .remove')
    expect(page.locator("#replan-events li")).to_have_count(2)
    page.click("#replan-send")
    expect(rendered).not_to_have_attribute("data-rendered", morning, timeout=120_000)
    replanned = page.get_attribute("body", "data-rendered")
    diff = desk.get(f"/v1/plans/{replanned}/diff").json()
    table = page.locator("#replan-diff table")
    expect(table).to_be_visible()
    broken = table.locator(f'tr[data-vehicle="{route["vehicle_id"]}"]')
    expect(broken).to_have_count(1)
    assert diff["moved"], "the broken truck's points went to no other truck"
    for moved in diff["moved"]:
        expect(table).to_contain_text(moved["point_id"])
    driving = {r["vehicle_id"] for r in desk.get(f"/v1/plans/{replanned}/result").json()["routes"]}
    changed = page.locator(".route-line.route-changed")
    expect(changed).to_have_count(len(driving & set(diff["affected"])))
    expect(
        page.locator(f'.route-line.route-changed[data-vehicle="{route["vehicle_id"]}"]')
    ).to_have_count(1)
    expect(page.locator(".diff-mark.diff-moved")).to_have_count(len(diff["moved"]))
    expect(page.locator(".diff-mark.diff-added")).to_have_count(len(diff["added"]))
    shoot(page, "replan-diff")

    replan_the_replan(page, desk, replanned, route["vehicle_id"], at)
    page.click("#replan-back")
    expect(rendered).to_have_attribute("data-rendered", replanned)
    expect(page.locator("#replan-back")).to_be_visible()
    page.click("#replan-back")
    expect(rendered).to_have_attribute("data-rendered", morning)
    expect(page.locator("#replan-diff")).to_be_hidden()
    expect(page.locator("#replan-back")).to_be_hidden()
    expect(changed).to_have_count(0)
    page.click("#lang-switch")
    expect(page.locator('#replan-type option[value="road_closed"]')).to_have_text("Road closed")


def add_event(page: Page, kind: str, *fields: tuple[str, str]) -> None:
    """Build one event of ``kind`` in the re-plan panel: ``(selector, value)`` per field."""
    page.select_option("#replan-type", kind)
    for selector, value in fields:
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#replan-add")


def replan_the_replan(page: Page, desk: httpx.Client, shown: str, broken: str, at: str) -> None:
    """On a re-plan, every other kind of event: road events are refused next to themselves
    (the example has no road graph), a re-plan that fails brings the re-plan back with its
    reason and way back, and one that finishes is drawn with its diff against the re-plan."""
    plan = desk.get(f"/v1/plans/{shown}/result").json()
    after = [
        (r, k)
        for r in plan["routes"]
        if r["tier"] == "collection" and r["stream"] == "residual" and r["vehicle_id"] != broken
        for k in range(1, len(r["stops"]) - 1)
        if r["stops"][k]["load_after_t"] > 0 and r["stops"][k + 1]["action"] == "collect"
        and r["stops"][k]["depart"] > at
    ]  # fmt: skip
    loaded, k = after[0]
    later = loaded["stops"][k]["depart"]
    other = next(
        r["vehicle_id"]
        for r in plan["routes"]
        if r["tier"] == "collection" and r["vehicle_id"] not in (broken, loaded["vehicle_id"])
    )
    point = next(  # not collected by ``later``, nor next for a truck on its way at ``later``
        b["site_id"]
        for r in plan["routes"]
        for a, b in zip(r["stops"], r["stops"][1:], strict=False)
        if b["action"] == "collect" and a["depart"] > later and "@" not in b["site_id"]
    )
    page.fill("#replan-at", later)
    expect(page.locator("#replan-events li.muted")).to_have_count(1)  # a re-plan's events anew
    add_event(page, "road_closed", ("#replan-from", "TS1"), ("#replan-to", "Y1"))
    add_event(page, "road_slowed", ("#replan-from", "Y1"), ("#replan-to", "INC"))
    add_event(page, "gate_delayed", ("#replan-facility", "INC"), ("#replan-opens", "05:00"))
    add_event(page, "truck_added", ("#replan-vehicle-type", "CT3"), ("#replan-ready", later))
    add_event(page, "truck_withdrawn", ("#replan-vehicle", other))
    add_event(page, "tonnes_changed", ("#replan-point", point), ("#replan-tonnes", "0.8"))
    events = page.locator("#replan-events li")
    labels = ("道路封闭", "道路缓行", "设施推迟开门", "增派车辆", "车辆撤回", "吨数变更")
    for k, label in enumerate(labels):
        expect(events.nth(k)).to_contain_text(label)
    page.click("#replan-send")
    for k in (0, 1):
        message = page.locator(f'#replan-form .field-error[data-for="events[{k}]"]')
        expect(message).to_contain_text("road graph")
    page.click('#replan-events li[data-index="0"] .remove')
    page.click('#replan-events li[data-index="0"] .remove')
    # every residual facility closed while a truck is loaded: the re-plan fails in the worker
    add_event(page, "facility_closed", ("#replan-facility", "TS1"))
    add_event(page, "facility_closed", ("#replan-facility", "INC"))
    page.click("#replan-send")
    failed = page.locator("#replan-form .form-error")
    expect(failed).to_contain_text("重新编排未完成", timeout=120_000)
    expect(page.locator("body")).to_have_attribute("data-rendered", shown)
    expect(page.locator("#replan-back")).to_be_visible()
    expect(page.locator("#replan-events li")).to_have_count(6)
    shoot(page, "replan-failed", full_page=False)
    page.click('#replan-events li[data-index="5"] .remove')
    page.click('#replan-events li[data-index="4"] .remove')
    page.click("#replan-send")
    rendered = page.locator("body")
    expect(rendered).not_to_have_attribute("data-rendered", shown, timeout=120_000)
    twice = page.get_attribute("body", "data-rendered")
    replans = desk.get(f"/v1/plans/{twice}/result").json()["replans"]
    assert [step["at"] for step in replans] == [at, later]
    diff = desk.get(f"/v1/plans/{twice}/diff").json()
    assert other in diff["affected"]
    expect(page.locator("#replan-diff table")).to_be_visible()
    expect(page.locator("#replan-back")).to_be_visible()

/* The dispatcher's view: choose or upload an instance, plan the day, watch the search, then
   the map, the trucks' stops, the timeline, what was left, the impact and the downloads. */
"use strict";

window.DeskDispatch = (() => {
  const { t, term } = window.DeskI18n;
  const { getJson, send, request, showFailure, clearErrors, ApiFailure } = window.DeskApi;
  const { esc, number, costLine, kpiBars, gantt, KIND_CLASSES } = window.DeskCharts;
  const { PlanMap, truckColour, siteLegend } = window.DeskMap;

  const POLL_MS = 600;
  const ACTIVE = new Set(["queued", "running"]);
  const state = {
    instances: [], job: null, timer: null, costPoints: [], view: null, map: null, onDone: null, onEnded: null, onRender: [],
  };
  const $ = (id) => document.getElementById(id);

  // --- instances -----------------------------------------------------------------------------

  async function loadInstances(selectId) {
    const list = await getJson("/v1/instances?limit=500");
    state.instances = list.items;
    for (const select of document.querySelectorAll("select[name=instance_id], #upload-base")) {
      const keep = selectId ?? select.value;
      select.innerHTML = list.items.length
        ? list.items.map((i) => `<option value="${esc(i.id)}">${esc(i.name)} · ${i.points} ${esc(t("points_word"))}${i.date ? ` · ${esc(i.date)}` : ""}</option>`).join("")
        : `<option value="">${esc(t("no_instances"))}</option>`;
      if (keep && list.items.some((i) => i.id === keep)) select.value = keep;
    }
    syncDate();
  }

  function syncDate() {
    const chosen = state.instances.find((i) => i.id === $("instance-select").value);
    if (chosen && chosen.date) $("plan-date").value = chosen.date;
  }

  /** CSV bytes as text: UTF-8 when valid, else GB18030 (a superset of GBK: Excel's CSV on a
      Chinese-language Windows). */
  function decodeCsv(bytes) {
    try {
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), encoding: "UTF-8" };
    } catch (error) {
      return { text: new TextDecoder("gb18030").decode(bytes), encoding: "GBK/GB18030" };
    }
  }

  async function loadGraphs() {
    const select = $("upload-graph");
    const keep = select.value;
    let graphs = [];
    try {
      graphs = (await getJson("/v1/graphs")).graphs;
    } catch (failure) {
      if (failure.status !== 404) throw failure;
    }
    select.innerHTML = `<option value="">${esc(t("no_graph"))}</option>` +
      graphs.map((g) => `<option value="${esc(g)}">${esc(g)}</option>`).join("");
    select.value = graphs.includes(keep) ? keep : "";
  }

  async function postCsv(file, base, name) {
    const { text, encoding } = decodeCsv(await file.arrayBuffer());
    $("upload-note").textContent = `${t("csv_encoding")}${encoding}`;
    const query = new URLSearchParams({ base, name });
    return request("POST", `/v1/instances?${query}`, {
      body: text,
      headers: { "Content-Type": "text/csv; charset=utf-8" },
    });
  }

  /** A JSON instance as the API takes it: the chosen road graph set; points named by
      ``points_csv`` come from the CSV chosen beside it, uploaded onto the instance. */
  async function postJson(jsonFile, csvFile) {
    const text = await jsonFile.text();
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      // the API words a malformed document with its line and column
      return request("POST", "/v1/instances", { body: text, headers: { "Content-Type": "application/json" } });
    }
    if (document && typeof document === "object" && $("upload-graph").value) {
      document.settings = { ...(document.settings || {}), graph: $("upload-graph").value };
    }
    if (!document || typeof document !== "object" || !document.points_csv) {
      return request("POST", "/v1/instances", { json: document });
    }
    if (!csvFile) {
      const msg = t("needs_points_csv").replace("{file}", document.points_csv);
      throw new ApiFailure(422, { errors: [{ loc: "file", msg }] });
    }
    const { points_csv: _, ...base } = document;
    const stored = await (await request("POST", "/v1/instances", { json: { ...base, points: [] } })).json();
    try {
      return await postCsv(csvFile, stored.id, document.name);
    } finally {
      await request("DELETE", `/v1/instances/${encodeURIComponent(stored.id)}`).catch(() => {});
    }
  }

  async function upload(event) {
    event.preventDefault();
    const form = $("upload-form");
    clearErrors(form);
    $("upload-note").textContent = "";
    const files = [...$("upload-file").files];
    const jsonFile = files.find((f) => !/\.csv$/i.test(f.name) && f.type !== "text/csv");
    const csvFile = files.find((f) => /\.csv$/i.test(f.name) || f.type === "text/csv");
    let response;
    try {
      if (!files.length) throw new ApiFailure(422, { errors: [{ loc: "file", msg: t("choose_file") }] });
      if (jsonFile) {
        response = await postJson(jsonFile, csvFile);
      } else {
        const name = $("upload-name").value.trim() || csvFile.name.replace(/\.csv$/i, "");
        response = await postCsv(csvFile, $("upload-base").value, name);
      }
    } catch (failure) {
      showFailure(form, failure, { "*": "file", body: "file" });
      return;
    }
    const created = await response.json();
    await loadInstances(created.id);
    $("upload-note").textContent += ` ${t("uploaded")}${created.name} (${created.id})`;
  }

  // --- the plan job --------------------------------------------------------------------------

  async function startPlan(event) {
    event.preventDefault();
    const form = $("plan-form");
    clearErrors(form);
    const instanceId = $("instance-select").value;
    if (!instanceId) {
      showFailure(form, new ApiFailure(422, { errors: [{ loc: "instance_id", msg: t("choose_instance") }] }));
      return;
    }
    const body = { instance_id: instanceId };
    if ($("plan-date").value) body.date = $("plan-date").value;
    if ($("time-limit").value) body.time_limit_s = Number($("time-limit").value);
    try {
      const job = await send("POST", "/v1/plans", body);
      follow(job);
    } catch (failure) {
      showFailure(form, failure, { instance: "instance_id" });
    }
  }

  /** Poll ``job`` with its progress shown until it ends; ``onDone`` opens it when done,
      ``onEnded`` (if given) takes it when it ends otherwise (failed, cancelled). */
  function follow(job, onDone = openPlan, onEnded = null) {
    state.job = job;
    state.onDone = onDone;
    state.onEnded = onEnded;
    state.costPoints = [];
    $("results").hidden = true;
    $("progress-panel").hidden = false;
    costLine($("cost-chart"), []);
    showStatus(job);
    clearTimeout(state.timer);
    state.timer = setTimeout(poll, POLL_MS);
  }

  /** Share of the job's budget spent: the collection tier gets the time limit, the transfer
      tier a quarter of it (at least 1 s) after it. */
  function progressShare(job) {
    if (job.status === "done") return 1;
    if (!job.progress) return 0;
    const limit = job.time_limit_s, transfer = Math.max(1, limit / 4);
    const spent = job.progress.tier === "transfer" ? limit + job.progress.elapsed_s : job.progress.elapsed_s;
    return Math.min(0.99, spent / (limit + transfer));
  }

  function showStatus(job) {
    const share = progressShare(job);
    $("progress-fill").style.width = `${(share * 100).toFixed(1)}%`;
    $("progress-bar").setAttribute("aria-valuenow", (share * 100).toFixed(0));
    let text = t(`status_${job.status}`);
    if (job.progress && ACTIVE.has(job.status)) {
      text += ` · ${t(`tier_${job.progress.tier}`)} · ${number(job.progress.elapsed_s, 1)} s · ${t("best_cost")} ${number(job.progress.best_cost)}`;
    }
    if (job.status === "done" && job.cost != null) text += ` · ${t("plan_cost")} ${number(job.cost)} CNY`;
    if (job.error && job.status !== "done") text += ` · ${job.error}`;
    $("progress-status").textContent = text;
    $("progress-panel").dataset.status = job.status;
    $("stop-plan").disabled = job.status !== "running";
    $("cancel-plan").disabled = !ACTIVE.has(job.status);
    if (job.progress && job.progress.tier === "collection" && ACTIVE.has(job.status)) {
      const last = state.costPoints[state.costPoints.length - 1];
      if (!last || last[0] !== job.progress.elapsed_s) state.costPoints.push([job.progress.elapsed_s, job.progress.best_cost]);
      costLine($("cost-chart"), state.costPoints);
    }
  }

  async function poll() {
    const job = state.job;
    if (!job) return;
    try {
      const fresh = await getJson(`/v1/plans/${encodeURIComponent(job.id)}`);
      if (state.job !== job) return;
      state.job = fresh;
      showStatus(fresh);
      if (fresh.status === "done") {
        await state.onDone(fresh.id);
        return;
      }
      if (!ACTIVE.has(fresh.status)) {
        state.onEnded?.(fresh);
        return;
      }
    } catch (failure) {
      if (failure.status && failure.status !== 0) {
        showFailure($("plan-form"), failure);
        return;
      }
    }
    state.timer = setTimeout(poll, POLL_MS);
  }

  async function stopOrCancel(method, suffix) {
    const job = state.job;
    if (!job) return;
    try {
      const fresh = await send(method, `/v1/plans/${encodeURIComponent(job.id)}${suffix}`);
      state.job = fresh;
      showStatus(fresh);
    } catch (failure) {
      showFailure($("plan-form"), failure);
    }
  }

  // --- results -------------------------------------------------------------------------------

  async function optional(url) {
    try {
      return await getJson(url);
    } catch (failure) {
      if (failure.status === 404) return null;
      throw failure;
    }
  }

  /** Fetch everything a finished plan job shows, then draw it. */
  async function openPlan(jobId) {
    const base = `/v1/plans/${encodeURIComponent(jobId)}`;
    const [plan, instance, routes, timeline, impact, network] = await Promise.all([
      getJson(`${base}/result`),
      getJson(`${base}/instance`),
      getJson(`${base}/geojson`),
      getJson(`${base}/timeline`),
      getJson(`${base}/impact`),
      optional(`${base}/network`),
    ]);
    window.deskDataAt = performance.now();
    render({ jobId, plan, instance, routes, timeline, impact, network, title: null });
  }

  function render(view) {
    state.view = view;
    const { plan } = view;
    const colours = new Map(plan.routes.map((r, i) => [r.vehicle_id, truckColour(i)]));
    view.colourOf = (id) => colours.get(id) ?? "#333";
    $("results").hidden = false;
    const history = plan.stats?.[0]?.history ?? [];
    $("progress-panel").hidden = !history.length;
    if (history.length) {
      // the search as it went: the collection tier's best cost over time, the bar full
      costLine($("cost-chart"), history);
      $("progress-fill").style.width = "100%";
      $("progress-bar").setAttribute("aria-valuenow", "100");
      if (!view.jobId) $("progress-status").textContent = `${t("scenario_plan")}${view.title}`;
    }
    renderSummary(view);
    renderMap(view);
    renderTrucks(view);
    gantt($("timeline"), view.timeline, view.colourOf, pick);
    $("timeline-legend").innerHTML = KIND_CLASSES.map((k) =>
      `<span class="legend-item"><span class="swatch act ${k}"></span>${esc(t(`kind_${k}`))}</span>`).join("");
    renderLeftovers(view);
    renderImpact(view);
    renderDownloads(view);
    for (const then of state.onRender) then(view);
    document.body.dataset.rendered = view.jobId ?? view.title ?? "view";
    window.deskRenderedAt = performance.now();
  }

  function renderSummary({ plan, instance, title }) {
    const collected = plan.routes.reduce((sum, r) => sum + r.stops.reduce((s, x) => s + (x.action === "collect" ? x.tonnes : 0), 0), 0);
    const km = plan.routes.reduce((sum, r) => sum + r.distance_km, 0);
    const stopped = (plan.stats || []).some((s) => s.stopped_early);
    $("plan-summary").innerHTML = `
      <strong>${esc(title ? `${t("scenario_plan")}${title}` : instance.title || instance.name)}</strong>
      <span>${esc(plan.date ?? "")}</span>
      <span>${t("plan_cost")}: <b>${number(plan.cost)}</b> CNY</span>
      <span>${t("vehicles_used")}: <b>${plan.routes.length}</b></span>
      <span>${t("distance")}: <b>${number(km, 1)}</b> km</span>
      <span>${t("tonnes")}: <b>${number(collected, 1)}</b></span>
      ${stopped ? `<span class="warn">${t("stopped_early")}</span>` : ""}
      ${(plan.caveats || []).map((c) => `<span class="caveat">${esc(c)}</span>`).join("")}`;
  }

  function renderMap(view) {
    if (!state.map) state.map = new PlanMap($("map"));
    const map = state.map;
    map.onPick = pick;
    map.clear();
    map.setNetwork(view.network);
    const note = $("map-note");
    note.textContent = view.network ? t("map_roads") : t("map_approximate");
    note.className = view.network ? "note" : "note approximate";
    map.drawSites(view.instance, {
      openStations: view.openStations ?? null,
      unserved: new Set(view.plan.unserved.map((u) => u.point_id)),
    });
    map.drawRoutes(view.routes, view.colourOf);
    map.refresh();
    map.fit(view.instance);
    $("legend").innerHTML = siteLegend();
  }

  function typeName(instance, typeId) {
    const vt = instance.vehicle_types.find((v) => v.id === typeId);
    return vt ? vt.name || vt.id : typeId;
  }

  function renderTrucks({ plan, instance, colourOf }) {
    $("truck-list").innerHTML = plan.routes.map((r) => `
      <li data-vehicle="${esc(r.vehicle_id)}" tabindex="0">
        <span class="swatch" style="background:${colourOf(r.vehicle_id)}"></span>
        <b>${esc(r.vehicle_id)}</b> <span class="muted">${esc(typeName(instance, r.vehicle_type))}</span>
        <span class="muted">${esc(term(r.stream))} · ${number(r.distance_km, 1)} km · ${r.stops.filter((s) => s.action === "unload").length}×</span>
      </li>`).join("");
    for (const li of $("truck-list").querySelectorAll("li")) {
      li.addEventListener("click", () => pick(li.dataset.vehicle));
      li.addEventListener("keydown", (e) => e.key === "Enter" && pick(li.dataset.vehicle));
    }
    $("truck-detail").innerHTML = "";
  }

  /** Select a truck: highlight its line and list its stops with their times. */
  function pick(vehicleId) {
    const view = state.view;
    const route = view.plan.routes.find((r) => r.vehicle_id === vehicleId);
    if (!route) return;
    state.map.highlight(vehicleId);
    for (const li of $("truck-list").querySelectorAll("li")) li.classList.toggle("selected", li.dataset.vehicle === vehicleId);
    const names = new Map([...view.instance.yards, ...view.instance.facilities, ...view.instance.points].map((s) => [s.id, s.name]));
    const links = view.jobId ? `
      <a href="/print?job=${encodeURIComponent(view.jobId)}&vehicle=${encodeURIComponent(vehicleId)}&lang=${window.DeskI18n.language}" target="_blank">${t("print")}</a>
      <a href="/v1/plans/${encodeURIComponent(view.jobId)}/sheets/${encodeURIComponent(vehicleId)}?lang=${window.DeskI18n.language}" download>${t("sheet_csv")}</a>` : "";
    $("truck-detail").innerHTML = `
      <h3>${t("stops_of")}${esc(vehicleId)} <span class="muted">${esc(typeName(view.instance, route.vehicle_type))}</span> ${links}</h3>
      <table class="stops"><thead><tr><th>${t("seq")}</th><th>${t("place")}</th><th>${t("action")}</th>
        <th>${t("arrive")}</th><th>${t("leave")}</th><th>${t("tonnes")}</th><th>${t("load_after")}</th><th>${t("km")}</th></tr></thead>
      <tbody>${route.stops.map((s, i) => `<tr class="${s.action}"><td>${i + 1}</td>
        <td>${esc(names.get(s.site_id) || s.site_id)} <span class="muted">${esc(s.site_id)}</span></td>
        <td>${esc(term(s.action))}</td><td>${s.arrive}</td><td>${s.depart}</td><td>${number(s.tonnes, 2)}</td>
        <td>${number(s.load_after_t, 2)}</td><td>${number(s.distance_from_prev_km, 1)}</td></tr>`).join("")}</tbody></table>`;
  }

  function renderLeftovers({ plan, instance }) {
    const names = new Map([...instance.facilities, ...instance.points].map((s) => [s.id, s.name]));
    const table = (rows) => rows.length
      ? `<table><thead><tr><th>${t("place")}</th><th>${t("tonnes")}</th><th>${t("reason")}</th></tr></thead><tbody>${rows.map(([id, tonnes, reason]) =>
        `<tr><td>${esc(names.get(id) || "")} <span class="muted">${esc(id)}</span></td><td>${number(tonnes, 2)}</td><td>${esc(reason)}</td></tr>`).join("")}</tbody></table>`
      : `<p class="muted">${t("none")}</p>`;
    $("unserved").innerHTML = table(plan.unserved.map((u) => [u.point_id, u.tonnes, u.reason]));
    $("backlog").innerHTML = table(plan.backlog.map((b) => [b.facility_id, b.tonnes, b.reason]));
  }

  function kpiName(kpi, facilities) {
    if (kpi.key.startsWith("utilisation:")) {
      const id = kpi.key.slice("utilisation:".length);
      const f = facilities.find((x) => x.facility_id === id);
      const name = f ? f.name || id : id;
      return window.DeskI18n.language === "zh" ? `${name} 负荷率（含外来）` : `${name} utilisation (incl. outside)`;
    }
    if (kpi.key === "brick_line_share") return window.DeskI18n.language === "zh" ? "本计划炉渣占制砖线能力" : kpi.label;
    return term(kpi.key, kpi.label);
  }

  function renderImpact({ impact }) {
    const label = { target: t("target"), name: (k) => kpiName(k, impact.facilities) };
    const d = impact.per_day, y = impact.per_year;
    const rows = [
      ["distance_km", "km", d.distance_km, y.distance_km],
      ["diesel_l", "L", d.diesel_l, y.diesel_l],
      ["lng_kg", "kg", d.lng_kg, y.lng_kg],
      ["electricity_kwh", "kWh", d.electricity_kwh, y.electricity_kwh],
      ["transport_co2e_t", "t CO2e", d.transport_co2e_t, y.transport_co2e_t],
      ["net_co2e_t", "t CO2e", d.net_co2e_t, y.net_co2e_t],
      ["incinerated_t", "t", d.incinerated_t, y.incinerated_t],
      ["overflow_t", "t", d.overflow_t, y.overflow_t],
      ["bricks_capped", "", d.bricks_capped, y.bricks_capped],
    ];
    $("impact").innerHTML = `
      <div class="kpis">${kpiBars(impact.kpis, label)}
        <p class="muted">${impact.kpis.filter((k) => k.source).map((k) => `${esc(label.name(k))}: ${esc(k.source)}`).join(" · ")}</p></div>
      <table class="figures"><thead><tr><th></th><th>${t("per_day")}</th><th>${t("per_year")}</th></tr></thead>
      <tbody>${rows.map(([key, unit, day, year]) => `<tr><td>${esc(term(key))}${unit ? ` (${unit})` : ""}</td>
        <td>${number(day, day < 100 ? 1 : 0)}</td><td>${number(year, 0)}</td></tr>`).join("")}</tbody></table>`;
  }

  function renderDownloads({ jobId, plan }) {
    if (!jobId) {
      $("downloads-panel").hidden = true;
      return;
    }
    $("downloads-panel").hidden = false;
    const base = `/v1/plans/${encodeURIComponent(jobId)}`;
    const lang = window.DeskI18n.language;
    const sheetLinks = plan.routes.map(({ vehicle_id: vehicle }) =>
      `<a href="${base}/sheets/${encodeURIComponent(vehicle)}?lang=${lang}" download>${esc(vehicle)}.csv</a>`).join(" ");
    $("downloads").innerHTML = `
      <p><a id="download-workbook" href="${base}/workbook?lang=${lang}" download>${t("workbook")}</a>
       · <a href="${base}/impact?format=csv" download>${t("impact_csv")}</a>
       · <a href="${base}/geojson" download="routes-${esc(jobId)}.geojson">${t("geojson")}</a>
       · <a href="/print?job=${encodeURIComponent(jobId)}&lang=${lang}" target="_blank">${t("print_all")}</a></p>
      <p class="sheets">${t("sheet_csv")} (${plan.routes.length}): ${sheetLinks}</p>`;
  }

  // --- wiring --------------------------------------------------------------------------------

  function init() {
    $("plan-form").addEventListener("submit", startPlan);
    $("upload-form").addEventListener("submit", upload);
    $("instance-select").addEventListener("change", syncDate);
    $("refresh-instances").addEventListener("click", () => loadInstances().catch(() => {}));
    $("stop-plan").addEventListener("click", () => stopOrCancel("POST", "/stop"));
    $("cancel-plan").addEventListener("click", () => stopOrCancel("DELETE", ""));
  }

  /** Draw the current view again (after a language switch). */
  function redraw() {
    if (state.view) {
      render(state.view);
      if (state.map.selected) pick(state.map.selected);
    }
    if (state.job && state.job.status !== "done") showStatus(state.job);
  }

  /** Call ``then(view)`` after each view is drawn. */
  function onRender(then) {
    state.onRender.push(then);
  }

  return { init, loadInstances, loadGraphs, openPlan, render, redraw, follow, onRender, state };
})();

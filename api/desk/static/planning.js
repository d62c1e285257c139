/* The planner's view: a siting result on the map (stations opened, closed, candidate, and
   which points go where), scenarios compared side by side, each scenario's plan on the map. */
"use strict";

window.DeskPlanning = (() => {
  const { t, term } = window.DeskI18n;
  const { getJson, send, showFailure, clearErrors, ApiFailure } = window.DeskApi;
  const { esc, number, groupedBars } = window.DeskCharts;
  const { PlanMap, siteLegend } = window.DeskMap;

  const POLL_MS = 800;
  const state = { siting: null, sitingInstance: null, comparison: null, map: null, onOpenPlan: () => {} };
  const $ = (id) => document.getElementById(id);
  const SERIES_COLOURS = ["#546e7a", "#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#9e9d24"];

  // metric labels of the comparison table in Chinese (the API gives them in English)
  const METRICS_ZH = {
    "transfer stations open": "开放中转站", "transfer stations": "中转站",
    "collection trucks used": "收集车辆", "transfer trucks used": "转运车辆",
    "unload trips": "卸载趟数", "vehicle distance": "车辆里程", "driver hours": "司机工时",
    diesel: "柴油", LNG: "LNG", "fleet electricity": "车队用电", "transport CO2e": "运输 CO2e",
    "net CO2e": "净 CO2e", "left uncollected": "未收运", "left at transfer stations": "中转站积压",
    "residual not incinerated (overflow)": "未焚烧其他垃圾（溢出）", "slag bricks": "炉渣砖",
    "harmless-treatment rate": "无害化处理率", "resource-recovery share": "资源化利用比例",
    "routing cost": "线路成本", "station fixed cost": "站点固定成本",
    "annual cost (routing-validated)": "年成本（线路验证）",
    "annual cost (location model, excl. carbon)": "年成本（选址模型，不含碳价）",
    "location model vs routing": "选址模型与线路之差",
  };
  const metricName = (metric) => (window.DeskI18n.language === "zh" ? METRICS_ZH[metric] ?? metric : metric);

  /** Poll a job until it ends; resolves with its final status document. */
  async function waitFor(prefix, job, statusEl) {
    for (;;) {
      statusEl.textContent = `${t(`status_${job.status}`)}${job.progress ? ` · ${number(job.progress.elapsed_s, 1)} s` : ""}`;
      if (!["queued", "running"].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        job = await getJson(`${prefix}/${encodeURIComponent(job.id)}`);
      } catch (failure) {
        if (failure.status) throw failure; // offline: the banner says so; keep polling
      }
    }
  }

  const intOrNull = (value) => (value === "" || value == null ? null : Number(value));

  // --- siting --------------------------------------------------------------------------------

  async function runSiting(event) {
    event.preventDefault();
    const form = $("siting-form");
    clearErrors(form);
    const data = new FormData(form);
    const body = {
      instance_id: data.get("instance_id"),
      open_exactly: intOrNull(data.get("open_exactly")),
      min_open: intOrNull(data.get("min_open")),
      max_open: intOrNull(data.get("max_open")),
      keep_existing: data.get("keep_existing") === "on",
    };
    if (data.get("time_limit_s")) body.time_limit_s = Number(data.get("time_limit_s"));
    for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    try {
      let job = await send("POST", "/v1/sitings", body);
      job = await waitFor("/v1/sitings", job, $("siting-status"));
      if (job.status !== "done") throw new ApiFailure(409, { detail: `${t("job_failed")}${job.error ?? job.status}` });
      const [document, record] = await Promise.all([
        getJson(`/v1/sitings/${encodeURIComponent(job.id)}/result`),
        getJson(`/v1/instances/${encodeURIComponent(body.instance_id)}`),
      ]);
      state.siting = document;
      state.sitingInstance = record.instance;
      renderSiting();
      $("include-sited").disabled = false;
      $("include-sited").checked = true;
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  function renderSiting() {
    const { result } = state.siting;
    const instance = state.sitingInstance;
    $("siting-result").hidden = false;
    if (!state.map) state.map = new PlanMap($("siting-map"));
    const map = state.map;
    map.clear();
    const open = new Set(result.open_stations);
    map.drawAssignment(instance, result.assignment);
    map.drawSites(instance, { openStations: open });
    map.refresh();
    map.fit(instance);
    $("siting-legend").innerHTML = siteLegend();
    const names = new Map(instance.facilities.map((f) => [f.id, f.name]));
    const candidates = result.candidates ?? [...open, ...(result.closed_stations ?? [])];
    const rows = candidates.map((id) => {
      const status = open.has(id) ? "open" : "closed";
      const today = (result.open_today ?? []).includes(id) ? term("open") : term("candidate");
      return `<tr class="${status}"><td>${esc(names.get(id) || result.names?.[id] || id)} <span class="muted">${esc(id)}</span></td>
        <td>${esc(today)}</td><td><b>${esc(t(status === "open" ? "siting_opened" : "siting_closed"))}</b></td>
        <td>${number(result.station_load_t?.[id] ?? 0, 1)}</td></tr>`;
    });
    const cost = result.cost || {};
    $("siting-table").innerHTML = `
      <h3>${t("siting_result")}</h3>
      <p>${t("siting_cost")}: <b>${number(cost.total ?? 0)}</b> · ${t("siting_gap")}: ${number((result.gap ?? 0) * 100, 2)}%</p>
      <table><thead><tr><th>${t("place")}</th><th>${t("today")}</th><th></th><th>${t("tonnes_per_day")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  }

  // --- comparison ----------------------------------------------------------------------------

  async function readScenarios(form) {
    const scenarios = [];
    const text = form.elements.scenarios.value.trim();
    if (text) {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new ApiFailure(422, { errors: [{ loc: "scenarios", msg: error.message }] });
      }
      scenarios.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    }
    for (const file of form.elements.scenario_files.files) {
      try {
        scenarios.push(JSON.parse(await file.text()));
      } catch (error) {
        throw new ApiFailure(422, { errors: [{ loc: "scenarios", msg: `${file.name}: ${error.message}` }] });
      }
    }
    if (form.elements.include_sited.checked && state.siting) scenarios.push(state.siting.scenario);
    return scenarios;
  }

  async function runComparison(event) {
    event.preventDefault();
    const form = $("compare-form");
    clearErrors(form);
    try {
      const body = {
        instance_id: form.elements.instance_id.value,
        scenarios: await readScenarios(form),
      };
      if (form.elements.time_limit_s.value) body.time_limit_s = Number(form.elements.time_limit_s.value);
      let job = await send("POST", "/v1/comparisons", body);
      job = await waitFor("/v1/comparisons", job, $("compare-status"));
      if (job.status !== "done") throw new ApiFailure(409, { detail: `${t("job_failed")}${job.error ?? job.status}` });
      state.comparison = { job, document: await getJson(`/v1/comparisons/${encodeURIComponent(job.id)}/result`), instanceId: body.instance_id };
      renderComparison();
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  const row = (rows, metric) => rows.find((r) => r.metric === metric);
  const sumRows = (rows, metrics) => {
    const found = metrics.map((m) => row(rows, m)).filter(Boolean);
    if (!found.length) return null;
    return found[0].values.map((_, i) => found.reduce((s, r) => s + (Number(r.values[i]) || 0), 0));
  };

  /** One line: how the last scenario differs from the first in cost, trucks, km and CO2e. */
  function verdict(names, cost, trucks, km, co2) {
    const last = names.length - 1;
    if (last < 1) return "";
    const diff = (values) => values[last] - values[0];
    const pct = cost[0] ? (diff(cost) / cost[0]) * 100 : 0;
    const signed = (v, digits = 0) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${number(Math.abs(v), digits)}`;
    const cheaper = diff(cost) <= 0 ? t("verdict_cheaper") : t("verdict_dearer");
    if (window.DeskI18n.language === "zh") {
      return `「${names[last]}」比「${names[0]}」${cheaper}：成本 ${signed(diff(cost))} 元/天（${signed(pct, 1)}%），` +
        `车辆 ${signed(diff(trucks))} 辆，里程 ${signed(diff(km), 1)} 公里/天，净 CO2e ${signed(diff(co2), 1)} 吨/年。`;
    }
    return `“${names[last]}” is ${cheaper} than “${names[0]}”: cost ${signed(diff(cost))} CNY/day (${signed(pct, 1)}%), ` +
      `${signed(diff(trucks))} ${t("trucks_word")}, ${signed(diff(km), 1)} km/day, net CO2e ${signed(diff(co2), 1)} t/yr.`;
  }

  function cell(value, unit) {
    if (value == null || value === "") return "–";
    if (typeof value === "string") return esc(value);
    if (unit === "share") return `${number(value * 100, 1)}%`;
    return number(value, Math.abs(value) >= 100 || unit === "count" ? 0 : 1);
  }

  function difference(values, unit) {
    const [first, last] = [values[0], values[values.length - 1]];
    if (values.length < 2 || typeof first !== "number" || typeof last !== "number") return "";
    const d = last - first;
    const text = unit === "share" ? `${number(d * 100, 1)} pp` : number(d, Math.abs(d) >= 100 || unit === "count" ? 0 : 1);
    return `<span class="${d < 0 ? "down" : d > 0 ? "up" : ""}">${d > 0 ? "+" : ""}${text}</span>`;
  }

  function renderComparison() {
    const { document } = state.comparison;
    const names = document.scenarios.map((s) => s.name);
    const rows = document.rows;
    const cost = row(rows, "routing cost")?.values ?? document.scenarios.map((s) => s.routing_cost_per_day);
    const trucks = sumRows(rows, ["collection trucks used", "transfer trucks used"]) ?? names.map(() => 0);
    const km = row(rows, "vehicle distance")?.values ?? names.map(() => 0);
    const co2 = row(rows, "net CO2e")?.values ?? names.map(() => 0);
    $("compare-result").hidden = false;
    $("compare-verdict").textContent = verdict(names, cost, trucks, km, co2);
    const groups = [
      { label: `${metricName("routing cost")} (CNY/day)`, values: cost, format: (v) => number(v) },
      { label: window.DeskI18n.language === "zh" ? "使用车辆" : "trucks used", values: trucks, format: (v) => number(v) },
      { label: `${metricName("vehicle distance")} (km/day)`, values: km, format: (v) => number(v, 1) },
      { label: `${metricName("net CO2e")} (t/yr)`, values: co2, format: (v) => number(v, 1) },
    ];
    $("compare-chart").innerHTML = groupedBars(groups, names, SERIES_COLOURS);
    const header = names.map((n, i) => `<th>${esc(n)}<br><button type="button" class="open-scenario" data-index="${i}">${t("open_on_map")}</button></th>`).join("");
    $("compare-table").innerHTML = `<table class="comparison"><thead><tr><th>${t("metric")}</th><th>${t("unit")}</th>${header}<th>${t("difference")}</th></tr></thead>
      <tbody>${rows.map((r) => `<tr><td>${esc(metricName(r.metric))}</td><td>${esc(r.unit)}</td>${r.values.map((v) => `<td>${cell(v, r.unit)}</td>`).join("")}<td>${difference(r.values, r.unit)}</td></tr>`).join("")}</tbody></table>`;
    for (const button of $("compare-table").querySelectorAll(".open-scenario")) {
      button.addEventListener("click", () => openScenario(Number(button.dataset.index)));
    }
  }

  /** A compared scenario's plan on the dispatcher's map, timeline and tables. */
  async function openScenario(index) {
    const { job, document, instanceId } = state.comparison;
    const base = `/v1/comparisons/${encodeURIComponent(job.id)}/scenarios/${index}`;
    try {
      const [view, network] = await Promise.all([
        getJson(base),
        getJson(`/v1/instances/${encodeURIComponent(instanceId)}/network`).catch(() => null),
      ]);
      state.onOpenPlan({
        jobId: null,
        plan: view.plan,
        instance: view.instance,
        routes: view.routes,
        timeline: view.timeline,
        impact: document.scenarios[index].impact,
        network,
        title: document.scenarios[index].name,
        openStations: new Set(document.scenarios[index].open_stations),
      });
    } catch (failure) {
      showFailure($("compare-form"), failure);
    }
  }

  function init(onOpenPlan) {
    state.onOpenPlan = onOpenPlan;
    $("siting-form").addEventListener("submit", runSiting);
    $("compare-form").addEventListener("submit", runComparison);
  }

  function redraw() {
    if (state.siting) renderSiting();
    if (state.comparison) renderComparison();
  }

  function shown() {
    state.map?.refresh();
  }

  return { init, redraw, shown };
})();

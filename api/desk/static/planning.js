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
    "brick line share from this plan's ash": "本计划炉渣占制砖线能力",
  };
  const PLANT_ROWS_ZH = [[": intake incl. outside inflow", "：进厂量（含外来）"], [": capacity", "：处理能力"]];
  function metricName(metric) {
    if (window.DeskI18n.language !== "zh") return metric;
    if (METRICS_ZH[metric]) return METRICS_ZH[metric];
    const plant = PLANT_ROWS_ZH.find(([suffix]) => metric.endsWith(suffix));
    return plant ? metric.slice(0, -plant[0].length) + plant[1] : metric;
  }

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

  /** One line: the scenario with the least routing-validated annual cost against the first
      (or, when the first stays cheapest, the next cheapest), in cost, trucks, km and CO2e;
      flagged when it leaves more waste uncollected or unburnt than the first. */
  function verdict(names, series) {
    if (names.length < 2) return "";
    const { annual, trucks, km, co2, left } = series;
    const order = names.map((_, i) => i).sort((a, b) => annual[a] - annual[b]);
    const other = order[0] === 0 ? order[1] : order[0];
    const delta = (values) => values[other] - values[0];
    const pct = annual[0] ? (delta(annual) / annual[0]) * 100 : 0;
    const signed = (v, digits = 0) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${number(Math.abs(v), digits)}`;
    const worse = left[other] > left[0] + 1e-6;
    const zh = window.DeskI18n.language === "zh";
    const [a, b] = [names[0], names[other]];
    const lead = order[0] === 0
      ? (zh ? `「${a}」仍最省；次优「${b}」` : `“${a}” stays the cheapest; the next, “${b}”,`)
      : (zh ? `「${b}」最省：比「${a}」` : `“${b}” costs the least: against “${a}”,`);
    const figures = zh
      ? `年成本 ${signed(delta(annual))} 元（${signed(pct, 1)}%），车辆 ${signed(delta(trucks))} 辆，里程 ${signed(delta(km), 1)} 公里/天，净 CO2e ${signed(delta(co2), 1)} 吨/年`
      : ` annual cost ${signed(delta(annual))} CNY (${signed(pct, 1)}%), ${signed(delta(trucks))} ${t("trucks_word")}, ${signed(delta(km), 1)} km/day, net CO2e ${signed(delta(co2), 1)} t/yr`;
    const warning = !worse ? "" : zh
      ? `；但「${b}」留下更多未收运或未焚烧的垃圾，并非同等比较`
      : `; but “${b}” leaves more waste uncollected or unburnt: not like for like`;
    return `${lead}${figures}${warning}${zh ? "。" : "."}`;
  }

  function cell(value, unit) {
    if (value == null || value === "") return "–";
    if (typeof value === "string") return esc(value);
    if (unit === "share") return `${number(value * 100, 1)}%`;
    return number(value, Math.abs(value) >= 100 || unit === "count" ? 0 : 1);
  }

  /** ``value`` minus the first scenario's, signed; percentage points for shares. */
  function difference(value, first, unit) {
    if (typeof first !== "number" || typeof value !== "number") return "";
    const digits = unit === "share" ? 1 : Math.abs(value - first) >= 100 || unit === "count" ? 0 : 1;
    const scale = unit === "share" ? 100 : 1;
    const d = Number(((value - first) * scale).toFixed(digits)); // as shown: no "−0.0"
    if (d === 0) return "0";
    const text = `${number(d, digits)}${unit === "share" ? " pp" : ""}`;
    return `<span class="${d < 0 ? "down" : "up"}">${d > 0 ? "+" : ""}${text}</span>`;
  }

  const SECTIONS_ZH = { configuration: "配置", "per day": "每天", "per year": "每年", "shares of the day": "当日比例" };

  function renderComparison() {
    const { document } = state.comparison;
    const names = document.scenarios.map((s) => s.name);
    const rows = document.rows;
    const zeros = names.map(() => 0);
    const series = {
      annual: row(rows, "annual cost (routing-validated)")?.values ?? document.scenarios.map((s) => s.annual_cost),
      trucks: sumRows(rows, ["collection trucks used", "transfer trucks used"]) ?? zeros,
      km: row(rows, "vehicle distance")?.values ?? zeros,
      co2: row(rows, "net CO2e")?.values ?? zeros,
      left: sumRows(rows, ["left uncollected", "residual not incinerated (overflow)"]) ?? zeros,
    };
    $("compare-result").hidden = false;
    $("compare-verdict").textContent = verdict(names, series);
    const zh = window.DeskI18n.language === "zh";
    const groups = [
      { label: `${metricName("annual cost (routing-validated)")} (CNY/yr)`, values: series.annual, format: (v) => number(v) },
      { label: zh ? "使用车辆" : "trucks used", values: series.trucks, format: (v) => number(v) },
      { label: `${metricName("vehicle distance")} (km/day)`, values: series.km, format: (v) => number(v, 1) },
      { label: `${metricName("net CO2e")} (t/yr)`, values: series.co2, format: (v) => number(v, 1) },
    ];
    $("compare-chart").innerHTML = groupedBars(groups, names, SERIES_COLOURS);
    const later = names.slice(1);
    const header = names.map((n, i) => `<th>${esc(n)}<br><button type="button" class="open-scenario" data-index="${i}">${t("open_on_map")}</button></th>`).join("")
      + later.map((n) => `<th>${esc(n)} − ${esc(names[0])}</th>`).join("");
    let section = null;
    const body = rows.map((r) => {
      const heading = r.section && r.section !== section
        ? `<tr class="section"><th colspan="${2 + names.length + later.length}">${esc(zh ? SECTIONS_ZH[r.section] ?? r.section : r.section)}</th></tr>` : "";
      section = r.section ?? section;
      return `${heading}<tr><td>${esc(metricName(r.metric))}</td><td>${esc(r.unit)}</td>${r.values.map((v) => `<td>${cell(v, r.unit)}</td>`).join("")}${
        r.values.slice(1).map((v) => `<td class="diff">${difference(v, r.values[0], r.unit)}</td>`).join("")}</tr>`;
    }).join("");
    $("compare-table").innerHTML = `<table class="comparison"><thead><tr><th>${t("metric")}</th><th>${t("unit")}</th>${header}</tr></thead><tbody>${body}</tbody></table>`;
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

/* Printable dispatch sheets of a plan job: /print?job=<id>[&vehicle=<id>][&lang=zh|en]. */
"use strict";

(async () => {
  const params = new URLSearchParams(location.search);
  const i18n = window.DeskI18n;
  if (params.get("lang")) i18n.setLanguage(params.get("lang"));
  const { t, term } = i18n;
  const zh = i18n.language === "zh";
  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const fixed = (value, digits) => Number(value).toFixed(digits);
  document.getElementById("print-now").addEventListener("click", () => window.print());

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || `${response.status} ${response.statusText}`);
    }
    return response.json();
  }

  try {
    const job = params.get("job");
    if (!job) throw new Error(zh ? "缺少参数 job" : "the job parameter is missing");
    const base = `/v1/plans/${encodeURIComponent(job)}`;
    const [plan, instance] = await Promise.all([get(`${base}/result`), get(`${base}/instance`)]);
    const only = params.get("vehicle");
    const routes = plan.routes.filter((r) => !only || r.vehicle_id === only);
    if (!routes.length) throw new Error(`${zh ? "没有车辆" : "no vehicle"} ${only}`);
    const names = new Map([...instance.yards, ...instance.facilities, ...instance.points].map((s) => [s.id, s.name]));
    const types = new Map(instance.vehicle_types.map((v) => [v.id, v.name || v.id]));
    document.title = `${zh ? "调度单" : "Dispatch sheets"} ${instance.title || instance.name} ${plan.date ?? ""}`;
    document.getElementById("sheets").innerHTML = routes.map((route) => {
      const collected = route.stops.reduce((s, x) => s + (x.action === "collect" || x.action === "pickup" ? x.tonnes : 0), 0);
      return `<section class="sheet" data-vehicle="${esc(route.vehicle_id)}">
        <h1>${zh ? "车辆调度单" : "Vehicle dispatch sheet"} · ${esc(route.vehicle_id)}</h1>
        <dl>
          <dt>${zh ? "区域" : "Area"}</dt><dd>${esc(instance.title || instance.name)}</dd>
          <dt>${t("date")}</dt><dd>${esc(plan.date ?? "")}</dd>
          <dt>${zh ? "车型" : "Vehicle type"}</dt><dd>${esc(types.get(route.vehicle_type) ?? route.vehicle_type)}</dd>
          <dt>${zh ? "垃圾类别" : "Stream"}</dt><dd>${esc(term(route.stream))}</dd>
          <dt>${zh ? "出车 – 收车" : "Out – back"}</dt><dd>${route.stops[0].depart} – ${route.stops[route.stops.length - 1].arrive}</dd>
          <dt>${t("distance")}</dt><dd>${fixed(route.distance_km, 1)} km</dd>
        </dl>
        <table>
          <thead><tr><th>${t("seq")}</th><th>${t("place")}</th><th>${t("action")}</th><th>${t("arrive")}</th>
            <th>${t("leave")}</th><th>${t("tonnes")}</th><th>${t("load_after")}</th><th>${t("km")}</th><th>${zh ? "签字/备注" : "Note"}</th></tr></thead>
          <tbody>${route.stops.map((s, i) => `<tr class="${s.action}"><td>${i + 1}</td>
            <td>${esc(names.get(s.site_id) || "")} (${esc(s.site_id)})</td><td>${esc(term(s.action))}</td>
            <td>${s.arrive}</td><td>${s.depart}</td><td class="num">${fixed(s.tonnes, 2)}</td>
            <td class="num">${fixed(s.load_after_t, 2)}</td><td class="num">${fixed(s.distance_from_prev_km, 1)}</td><td></td></tr>`).join("")}</tbody>
          <tfoot><tr><td colspan="5">${zh ? "合计" : "Total"}</td><td class="num">${fixed(collected, 2)}</td><td></td>
            <td class="num">${fixed(route.distance_km, 1)}</td><td></td></tr></tfoot>
        </table>
        <div class="signature"><span>${zh ? "司机签字" : "Driver"}: ____________</span><span>${zh ? "调度员签字" : "Dispatcher"}: ____________</span></div>
      </section>`;
    }).join("");
    document.body.dataset.rendered = "true";
  } catch (error) {
    document.getElementById("print-error").textContent = error.message;
  }
})();

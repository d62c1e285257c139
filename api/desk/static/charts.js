/* Small inline-SVG charts: a line over time, bars against a target, grouped bars, and the
   Gantt timeline of the trucks' day. Each returns SVG text or draws into an element. */
"use strict";

window.DeskCharts = (() => {
  const esc = (text) =>
    String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const number = (value, digits = 0) =>
    Number(value).toLocaleString(window.DeskI18n.language === "zh" ? "zh-CN" : "en", {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    });

  const minutes = (clock) => {
    const [h, m] = clock.split(":").map(Number);
    return h * 60 + m;
  };
  const clock = (total) => `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(Math.round(total % 60)).padStart(2, "0")}`;

  /** Best cost over time into ``svg`` (viewBox 1000 x 140): points are [seconds, cost]. */
  function costLine(svg, points) {
    if (!points.length) {
      svg.innerHTML = "";
      return;
    }
    const W = 1000, H = 140, left = 70, bottom = 20, top = 8, right = 10;
    const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
    const x0 = 0, x1 = Math.max(1, ...xs);
    let y0 = Math.min(...ys);
    // a first plan that leaves points unserved costs their penalties, orders of magnitude
    // above the rest: such values are drawn at the top edge, which is labelled "≥"
    const near = ys.filter((y) => y <= Math.max(y0 * 3, y0 + 1));
    let y1 = Math.max(...near);
    const clipped = near.length < ys.length;
    if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
    const X = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
    const Y = (y) => top + (1 - (Math.min(y, y1) - y0) / (y1 - y0)) * (H - top - bottom);
    // a step line: the best cost holds until the next improvement
    let path = `M${X(points[0][0])},${Y(points[0][1])}`;
    for (let i = 1; i < points.length; i++) path += ` H${X(points[i][0])} V${Y(points[i][1])}`;
    path += ` H${X(x1)}`;
    svg.innerHTML = `
      <line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" class="axis"/>
      <line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" class="axis"/>
      <text x="${left - 4}" y="${top + 8}" class="tick" text-anchor="end">${clipped ? "≥ " : ""}${number(y1)}</text>
      <text x="${left - 4}" y="${H - bottom}" class="tick" text-anchor="end">${number(y0)}</text>
      <text x="${W - right}" y="${H - 4}" class="tick" text-anchor="end">${number(x1, 1)} s</text>
      <path d="${path}" class="cost-line" vector-effect="non-scaling-stroke"/>`;
  }

  /** KPI bars: value and target as shares (0..1), a tick at the target, green when met. */
  function kpiBars(kpis, label) {
    const rowH = 34, W = 560, barX = 270, barW = 230;
    const max = Math.max(1, ...kpis.map((k) => Math.max(k.value, k.target ?? 0)));
    const rows = kpis.map((k, i) => {
      const y = i * rowH + 6;
      const state = k.met === true ? "met" : k.met === false ? "not-met" : "info";
      const target = k.target == null ? "" :
        `<line x1="${barX + (k.target / max) * barW}" x2="${barX + (k.target / max) * barW}" y1="${y - 3}" y2="${y + 19}" class="target"/>`;
      const targetText = k.target == null ? "" : ` (${label.target} ${k.comparison ?? ""} ${number(k.target * 100, 0)}%)`;
      return `<g class="kpi ${state}" data-key="${esc(k.key)}">
        <text x="0" y="${y + 12}" class="kpi-label">${esc(label.name(k))}</text>
        <rect x="${barX}" y="${y}" width="${barW}" height="16" class="track"/>
        <rect x="${barX}" y="${y}" width="${Math.max(1, (k.value / max) * barW)}" height="16" class="bar ${state}"/>
        ${target}
        <text x="${barX + barW + 6}" y="${y + 12}" class="kpi-value">${number(k.value * 100, 1)}%${esc(targetText)}</text>
      </g>`;
    });
    return `<svg class="kpi-chart" viewBox="0 0 ${W + 180} ${kpis.length * rowH + 8}" width="100%">${rows.join("")}</svg>`;
  }

  /** Grouped horizontal bars: ``groups`` = [{label, values: [number|null]}], one colour per series. */
  function groupedBars(groups, series, colours) {
    const rowH = 16 * series.length + 14, W = 700, barX = 170, barW = 420;
    const parts = [];
    groups.forEach((g, gi) => {
      const y0 = gi * rowH + 4;
      parts.push(`<text x="0" y="${y0 + 12}" class="kpi-label">${esc(g.label)}</text>`);
      const max = Math.max(1e-9, ...g.values.filter((v) => v != null).map(Math.abs));
      g.values.forEach((v, si) => {
        if (v == null) return;
        const y = y0 + si * 16;
        const w = Math.max(1, (Math.abs(v) / max) * barW);
        parts.push(`<rect x="${barX}" y="${y}" width="${w}" height="13" fill="${colours[si % colours.length]}"/>`);
        parts.push(`<text x="${barX + w + 4}" y="${y + 11}" class="tick">${esc(g.format(v))}</text>`);
      });
    });
    const legend = series.map((name, si) =>
      `<span class="swatch" style="background:${colours[si % colours.length]}"></span>${esc(name)}`).join(" ");
    return `<div class="legend">${legend}</div><svg class="group-chart" viewBox="0 0 ${W} ${groups.length * rowH + 6}" width="100%">${parts.join("")}</svg>`;
  }

  const KIND_CLASSES = ["drive", "idle", "collect", "unload", "pickup", "charge", "break"];

  /** The trucks' day: one row per truck (``days`` from /timeline), hours along the top. */
  function gantt(container, days, colourOf, onPick) {
    if (!days.length) {
      container.innerHTML = "";
      return;
    }
    let first = Infinity, last = -Infinity;
    for (const day of days) {
      for (const a of day.activities) {
        first = Math.min(first, minutes(a.start));
        last = Math.max(last, minutes(a.end));
      }
    }
    if (!Number.isFinite(first)) { first = 0; last = 60; }
    first = Math.floor(first / 60) * 60;
    last = Math.ceil(last / 60) * 60;
    const rowH = 16, labelW = 130, W = 1000, top = 18;
    const scale = (W - labelW - 8) / Math.max(60, last - first);
    const X = (m) => labelW + (m - first) * scale;
    const parts = [];
    for (let m = first; m <= last; m += 60) {
      parts.push(`<line x1="${X(m)}" x2="${X(m)}" y1="${top - 4}" y2="${top + days.length * rowH}" class="hour"/>`);
      parts.push(`<text x="${X(m)}" y="${top - 6}" class="tick" text-anchor="middle">${clock(m)}</text>`);
    }
    days.forEach((day, i) => {
      const y = top + i * rowH;
      const rects = day.activities.map((a) => {
        const x = X(minutes(a.start));
        const w = Math.max(0.8, (minutes(a.end) - minutes(a.start)) * scale);
        return `<rect x="${x.toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" class="act ${KIND_CLASSES.includes(a.kind) ? a.kind : "other"}"><title>${esc(a.kind)} ${a.start}–${a.end} ${esc(a.site_id)}</title></rect>`;
      });
      parts.push(`<g class="timeline-row" data-vehicle="${esc(day.vehicle_id)}">
        <rect x="0" y="${y + 3}" width="10" height="${rowH - 6}" fill="${colourOf(day.vehicle_id)}"/>
        <text x="14" y="${y + rowH - 4}" class="row-label">${esc(day.vehicle_id)}</text>${rects.join("")}</g>`);
    });
    container.innerHTML = `<svg viewBox="0 0 ${W} ${top + days.length * rowH + 4}" width="100%" class="gantt">${parts.join("")}</svg>`;
    container.querySelectorAll(".timeline-row").forEach((row) =>
      row.addEventListener("click", () => onPick(row.dataset.vehicle)));
  }

  return { esc, number, minutes, clock, costLine, kpiBars, groupedBars, gantt, KIND_CLASSES };
})();

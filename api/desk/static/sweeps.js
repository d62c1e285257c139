/* Scenario sweeps: the results of `wasteopt sweep` (run from the command line on a Dask
   cluster, kept in the server's sweeps folder): each sweep's progress, its summary table and
   its figures (the Pareto front of cost and CO2e, cost and trucks along each axis). */
"use strict";

window.DeskSweeps = (() => {
  const { t } = window.DeskI18n;
  const { getJson, showFailure } = window.DeskApi;
  const { esc, number } = window.DeskCharts;
  const $ = (id) => document.getElementById(id);

  // summary.csv's columns shown, with the digits each number gets
  const COLUMNS = [
    ["scenario", null], ["tonnes_factor", 2], ["electric_share", 2], ["phase", 0], ["seeds", 0],
    ["failed", 0], ["annual_cost", 0], ["cost_spread_pct", 1], ["trucks", 0],
    ["net_co2e_t_per_yr", 0], ["overflow_t_per_day", 1], ["pareto", null],
  ];
  let sweeps = [];

  function cell(value, digits) {
    if (value === "" || value == null) return "–";
    if (digits === null) return value === "True" ? "★" : value === "False" ? "" : esc(value);
    return number(value, digits);
  }

  function renderList() {
    const select = $("sweep-select");
    const chosen = select.value;
    select.innerHTML = sweeps
      .map((s) => `<option value="${esc(s.id)}">${esc(s.name)} (${s.done}/${s.cells})</option>`)
      .join("");
    if (sweeps.some((s) => s.id === chosen)) select.value = chosen;
    $("sweeps-empty").hidden = sweeps.length > 0;
  }

  async function load() {
    const form = $("sweeps-form");
    try {
      sweeps = (await getJson("/v1/sweeps")).sweeps;
      renderList();
      if (sweeps.length) await show($("sweep-select").value);
      else $("sweep-result").hidden = true;
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  async function show(id) {
    const form = $("sweeps-form");
    try {
      const sweep = await getJson(`/v1/sweeps/${encodeURIComponent(id)}`);
      const failed = sweep.failed ? ` · ${sweep.failed} ${t("sweep_failed")}` : "";
      $("sweep-progress").textContent = `${sweep.done}/${sweep.cells} ${t("sweep_cells")}${failed}`;
      const head = COLUMNS.map(([key]) => `<th>${esc(t(`sweep_col_${key}`))}</th>`).join("");
      const rows = sweep.summary
        .map((line) => `<tr>${COLUMNS.map(([key, d]) => `<td>${cell(line[key], d)}</td>`).join("")}</tr>`)
        .join("");
      $("sweep-table").innerHTML = `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
      $("sweep-figures").innerHTML = ["pareto.svg", "axes.svg"]
        .filter((name) => sweep.figures[name])
        .map((name) => `<img src="${esc(sweep.figures[name])}" alt="${esc(t(`sweep_fig_${name.split(".")[0]}`))}">`)
        .join("");
      $("sweep-result").hidden = false;
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  function init() {
    $("sweeps-box").addEventListener("toggle", () => {
      if ($("sweeps-box").open) load();
    });
    $("sweeps-refresh").addEventListener("click", load);
    $("sweep-select").addEventListener("change", () => show($("sweep-select").value));
  }

  return { init, load };
})();

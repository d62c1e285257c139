/* The desk's start: language, tabs, login, the first load, and ?job=<id> to open a plan. */
"use strict";

(() => {
  const i18n = window.DeskI18n;
  const dispatch = window.DeskDispatch;
  const planning = window.DeskPlanning;

  function showView(name) {
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === name);
    document.getElementById("view-dispatch").hidden = name !== "dispatch";
    document.getElementById("view-planning").hidden = name !== "planning";
    if (name === "planning") planning.shown();
    else dispatch.state.map?.refresh();
  }

  function switchLanguage() {
    i18n.setLanguage(i18n.language === "zh" ? "en" : "zh");
    labelSwitch();
    dispatch.redraw();
    planning.redraw();
  }

  function labelSwitch() {
    const button = document.getElementById("lang-switch");
    button.textContent = i18n.language === "zh" ? "English" : "中文";
    button.lang = i18n.language === "zh" ? "en" : "zh-CN";
  }

  /** Everything the page shows first, fetched at once: who is logged in, the instances and
      graphs to choose from, and the plan named by ?job=. A 401 shows the login box. */
  async function start() {
    const job = new URLSearchParams(location.search).get("job");
    const session = window.DeskApi.getJson("/v1/session").then(
      (me) => { document.getElementById("logout").hidden = me.name === "local user"; },
      (failure) => { if (failure.status !== 404) throw failure; },
    );
    await Promise.all([
      session,
      dispatch.loadInstances(),
      dispatch.loadGraphs(),
      job ? dispatch.openPlan(job) : null,
    ]);
  }

  /** A failure the page could not place elsewhere; a 401 already shows the login box. */
  function report(failure) {
    if (failure.status === 401) return;
    window.DeskApi.showFailure(document.getElementById("plan-form"), failure);
  }

  i18n.apply();
  labelSwitch();
  document.getElementById("lang-switch").addEventListener("click", switchLanguage);
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));
  window.DeskApi.setupLogin(() => start().catch(report));
  dispatch.init();
  window.DeskReplan.init();
  window.DeskSweeps.init();
  planning.init((view) => {
    showView("dispatch");
    dispatch.render(view);
  });
  start().catch(report);
})();

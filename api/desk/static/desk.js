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

  async function start() {
    try {
      const me = await window.DeskApi.getJson("/v1/session");
      document.getElementById("logout").hidden = me.name === "local user";
    } catch (failure) {
      if (failure.status === 401) return; // the login box is showing; start() runs again after it
      if (failure.status !== 404) throw failure;
    }
    await Promise.all([dispatch.loadInstances(), dispatch.loadGraphs()]);
    const job = new URLSearchParams(location.search).get("job");
    if (job) await dispatch.openPlan(job);
  }

  i18n.apply();
  labelSwitch();
  document.getElementById("lang-switch").addEventListener("click", switchLanguage);
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));
  window.DeskApi.setupLogin(() => start().catch(report));
  dispatch.init();
  planning.init((view) => {
    showView("dispatch");
    dispatch.render(view);
  });
  start().catch(report);

  function report(failure) {
    window.DeskApi.showFailure(document.getElementById("plan-form"), failure);
  }
})();

/* Re-planning during the day: on a finished plan, the dispatcher builds the day's events (a
   truck broken down, an extra pickup, a point cancelled, a facility closed), sends them with
   a clock time to the re-plan route as a job followed like a plan job, then sees the new plan
   with its diff against the morning plan: changed trucks and points on the map, a table. */
"use strict";

window.DeskReplan = (() => {
  const { t, term } = window.DeskI18n;
  const { getJson, send, showFailure, clearErrors, ApiFailure } = window.DeskApi;
  const { esc, number, minutes, clock } = window.DeskCharts;
  const dispatch = window.DeskDispatch;
  const $ = (id) => document.getElementById(id);
  const ON_MAP = "";
  // morning: the view re-planned from; result: the re-plan shown ({ jobId, diff }) or null
  const state = { morning: null, result: null, events: [], place: null, placeMark: null };

  // --- the clock and the choices ---------------------------------------------------------------

  /** Now, as HH:MM, clamped into the day of ``instance``'s shifts. */
  function nowInDay(instance) {
    const shifts = instance.vehicle_types.map((vt) => vt.shift);
    const first = Math.min(...shifts.map((s) => minutes(s.start)));
    const last = Math.max(...shifts.map((s) => minutes(s.end)));
    const now = new Date();
    return clock(Math.min(last, Math.max(first, now.getHours() * 60 + now.getMinutes())));
  }

  const option = (value, label) => `<option value="${esc(value)}">${esc(label)}</option>`;
  const siteLabel = (site) => `${site.name || site.id} (${site.id})`;

  /** Options into the select ``id``, the chosen one kept when it is still offered. */
  function fill(id, options) {
    const select = $(id), keep = select.value;
    select.innerHTML = options;
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }

  function fillChoices({ plan, instance }) {
    fill("replan-vehicle", plan.routes.map((r) => option(r.vehicle_id, r.vehicle_id)).join(""));
    const points = instance.points.map((p) => option(p.id, siteLabel(p))).join("");
    fill("replan-point", points);
    fill("replan-place", option(ON_MAP, t("replan_on_map")) + points);
    fill("replan-facility", instance.facilities.map((f) => option(f.id, siteLabel(f))).join(""));
    const streams = [...new Set(instance.points.map((p) => p.stream))];
    fill("replan-stream", streams.map((s) => option(s, term(s))).join(""));
  }

  /** Show the builder's fields of the chosen event type only. */
  function showFields() {
    const type = $("replan-type").value;
    for (const label of document.querySelectorAll("#replan-form [data-types]")) {
      label.hidden = !label.dataset.types.split(" ").includes(type);
    }
  }

  // --- the place of an extra pickup ------------------------------------------------------------

  function setPlace(place) {
    state.place = place;
    state.placeMark?.remove();
    state.placeMark = place ? dispatch.state.map.mark([place.lat, place.lon], "diff-mark place-mark", t("event_point_added")) : null;
    $("replan-place-note").textContent = place ? `${number(place.lon, 5)}, ${number(place.lat, 5)}` : "";
  }

  /** A click on the map, while an extra pickup is being built, is its new place. */
  function placeOnMap({ lat, lng }) {
    if ($("replan-type").value !== "point_added") return;
    $("replan-place").value = ON_MAP;
    setPlace({ lat, lon: lng });
  }

  function placeFromList() {
    const point = state.morning.instance.points.find((p) => p.id === $("replan-place").value);
    if (point) $("replan-stream").value = point.stream;
    setPlace(point ? { lat: point.lat, lon: point.lon, name: point.name } : null);
  }

  // --- the events ------------------------------------------------------------------------------

  /** An id for an extra pickup that no point of the instance or event has. */
  function freshPointId() {
    const taken = new Set([
      ...state.morning.instance.points.map((p) => p.id),
      ...state.events.filter((e) => e.type === "point_added").map((e) => e.point.id),
    ]);
    let n = 1;
    while (taken.has(`extra-${n}`)) n++;
    return `extra-${n}`;
  }

  function extraPickup() {
    if (!state.place) throw new ApiFailure(422, { errors: [{ loc: "place", msg: t("replan_choose_place") }] });
    const start = $("replan-window-start").value, end = $("replan-window-end").value;
    return {
      type: "point_added",
      point: {
        id: freshPointId(),
        name: state.place.name ? `${state.place.name} ${t("event_point_added")}` : t("event_point_added"),
        lon: Number(state.place.lon.toFixed(6)),
        lat: Number(state.place.lat.toFixed(6)),
        stream: $("replan-stream").value,
        tonnes_per_day: Number($("replan-tonnes").value),
        // a half-given window goes as it is: the API names the missing end
        ...(start || end ? { window: { start: start || undefined, end: end || undefined } } : {}),
      },
    };
  }

  /** The event the builder's fields describe; an ApiFailure naming a field left unset. */
  function builtEvent() {
    const type = $("replan-type").value;
    if (type === "breakdown") return { type, vehicle: $("replan-vehicle").value };
    if (type === "point_cancelled") return { type, point: $("replan-point").value };
    if (type === "facility_closed") return { type, facility: $("replan-facility").value };
    return extraPickup();
  }

  function describe(event) {
    const sites = new Map([...state.morning.instance.points, ...state.morning.instance.facilities].map((s) => [s.id, s]));
    const name = (id) => (sites.has(id) ? siteLabel(sites.get(id)) : id);
    const what = t(`event_${event.type}`);
    if (event.type === "breakdown") return `${what}: ${event.vehicle}`;
    if (event.type === "point_cancelled") return `${what}: ${name(event.point)}`;
    if (event.type === "facility_closed") return `${what}: ${name(event.facility)}`;
    const { point } = event;
    const window = point.window ? ` · ${point.window.start ?? "?"}–${point.window.end ?? "?"}` : "";
    return `${what}: ${siteLabel(point)} · ${number(point.lon, 5)}, ${number(point.lat, 5)} · ${term(point.stream)} · ${point.tonnes_per_day} ${t("tonnes")}${window}`;
  }

  function renderEvents() {
    $("replan-events").innerHTML = state.events.length
      ? state.events.map((event, i) => `<li data-index="${i}">${esc(describe(event))}
          <button type="button" class="remove">${t("replan_remove")}</button>
          <span class="field-error" data-for="events[${i}]" hidden></span></li>`).join("")
      : `<li class="muted">${t("replan_no_events")}</li>`;
    for (const button of $("replan-events").querySelectorAll(".remove")) {
      button.addEventListener("click", () => removeEvent(Number(button.closest("li").dataset.index)));
    }
  }

  function addEvent() {
    const form = $("replan-form");
    clearErrors(form);
    try {
      state.events.push(builtEvent());
    } catch (failure) {
      showFailure(form, failure);
      return;
    }
    setPlace(null);
    $("replan-place").value = ON_MAP;
    renderEvents();
  }

  function removeEvent(index) {
    state.events.splice(index, 1);
    clearErrors($("replan-form"));
    renderEvents();
  }

  // --- the re-plan job -------------------------------------------------------------------------

  async function submit(event) {
    event.preventDefault();
    const form = $("replan-form");
    clearErrors(form);
    const body = { at: $("replan-at").value, events: state.events };
    if ($("replan-time-limit").value) body.time_limit_s = Number($("replan-time-limit").value);
    try {
      const job = await send("POST", `/v1/plans/${encodeURIComponent(state.morning.jobId)}/replan`, body);
      dispatch.follow(job, openReplan);
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  /** A finished re-plan: its diff, then the plan drawn as any plan is. */
  async function openReplan(jobId) {
    const diff = await getJson(`/v1/plans/${encodeURIComponent(jobId)}/diff`);
    state.result = { jobId, diff };
    await dispatch.openPlan(jobId);
  }

  // --- the diff --------------------------------------------------------------------------------

  const signed = (value, digits) => {
    const shown = Number(value.toFixed(digits));
    return shown > 0 ? `+${number(shown, digits)}` : shown < 0 ? `−${number(-shown, digits)}` : number(0, digits);
  };

  /** Each changed truck's stops gained and lost: moved points name the other truck. */
  function truckRows(diff) {
    return diff.vehicles.filter((v) => v.changed).map((v) => {
      const gained = [
        ...diff.added.filter((a) => a.vehicle_id === v.vehicle_id).map((a) => a.point_id),
        ...diff.moved.filter((m) => m.to_vehicle === v.vehicle_id).map((m) => `${m.point_id} ← ${m.from_vehicle}`),
      ];
      const lost = [
        ...diff.removed.filter((r) => r.vehicle_id === v.vehicle_id).map((r) => r.point_id),
        ...diff.moved.filter((m) => m.from_vehicle === v.vehicle_id).map((m) => `${m.point_id} → ${m.to_vehicle}`),
      ];
      return `<tr data-vehicle="${esc(v.vehicle_id)}"><td><b>${esc(v.vehicle_id)}</b></td>
        <td>${esc(gained.join(", ") || "–")}</td><td>${esc(lost.join(", ") || "–")}</td>
        <td>${number(v.km_before, 1)} → ${number(v.km_after, 1)} (${signed(v.km_after - v.km_before, 1)})</td>
        <td>${signed(v.cost_after - v.cost_before, 2)}</td>
        <td>${esc(v.finish_before ?? "–")} → ${esc(v.finish_after ?? "–")}</td></tr>`;
    }).join("");
  }

  function diffTable(diff) {
    return `<table class="replan-table"><thead><tr><th>${t("trucks")}</th><th>${t("diff_added")}</th>
      <th>${t("diff_removed")}</th><th>${t("diff_km")}</th><th>${t("diff_cost")}</th><th>${t("diff_finish")}</th></tr></thead>
      <tbody>${truckRows(diff)}</tbody>
      <tfoot><tr><th>${t("diff_total")}</th>
        <th colspan="2">${t("unserved")}: ${diff.unserved_before} → ${diff.unserved_after}</th>
        <th>${number(diff.km_before, 1)} → ${number(diff.km_after, 1)} (${signed(diff.km_after - diff.km_before, 1)})</th>
        <th>${number(diff.cost_before, 2)} → ${number(diff.cost_after, 2)} (${signed(diff.cost_after - diff.cost_before, 2)})</th>
        <th>${esc(diff.finish_before ?? "–")} → ${esc(diff.finish_after ?? "–")}</th></tr></tfoot></table>`;
  }

  const LEGEND = [["route-changed", "legend_changed"], ["diff-moved", "legend_moved"], ["diff-added", "legend_added"], ["diff-removed", "legend_removed"]];

  /** The changed trucks' lines stand out; moved, added and dropped points ringed. */
  function markMap(view, diff) {
    const map = dispatch.state.map;
    map.emphasise(new Set(diff.affected));
    const points = new Map([...state.morning.instance.points, ...view.instance.points].map((p) => [p.id, p]));
    const ring = (id, kind, text) => {
      const point = points.get(id);
      if (point) map.mark([point.lat, point.lon], `diff-mark diff-${kind}`, `${siteLabel(point)} — ${text}`);
    };
    for (const m of diff.moved) ring(m.point_id, "moved", `${m.from_vehicle} → ${m.to_vehicle}`);
    for (const a of diff.added) ring(a.point_id, "added", `${t("legend_added")}: ${a.vehicle_id}`);
    for (const r of diff.removed) ring(r.point_id, "removed", `${t("legend_removed")}: ${r.vehicle_id}`);
  }

  function showDiff(view, diff) {
    markMap(view, diff);
    $("replan-title").textContent = `${t("replan_of")}${state.morning.plan.date ?? ""} ${$("replan-at").value}`;
    $("replan-diff").innerHTML = `<h3>${t("replan_diff")}</h3>
      <div class="legend">${LEGEND.map(([cls, key]) => `<span class="legend-item"><span class="dot ${cls}"></span>${esc(t(key))}</span>`).join("")}</div>
      ${diffTable(diff)}`;
  }

  // --- following the dispatcher's view ---------------------------------------------------------

  /** After each view: a morning plan gets the panel, a re-plan also its diff; a plan that is
      neither (a compared scenario) gets no panel. */
  function rendered(view) {
    $("replan-panel").hidden = !view.jobId;
    if (!view.jobId) return;
    const showing = state.result?.jobId === view.jobId;
    if (!showing && state.morning?.jobId !== view.jobId) {
      state.morning = view;
      state.events = [];
      state.place = null;
      $("replan-at").value = nowInDay(view.instance);
    }
    if (!showing) state.result = null;
    fillChoices(state.morning);
    setPlace(state.place); // the map was drawn anew: ring the chosen place again
    dispatch.state.map.onPlace = placeOnMap;
    renderEvents();
    showFields();
    $("replan-back").hidden = !showing;
    $("replan-diff").hidden = !showing;
    $("replan-title").textContent = t("replan");
    if (showing) showDiff(view, state.result.diff);
  }

  function init() {
    $("replan-type").addEventListener("change", showFields);
    $("replan-place").addEventListener("change", placeFromList);
    $("replan-add").addEventListener("click", addEvent);
    $("replan-form").addEventListener("submit", submit);
    $("replan-back").addEventListener("click", () => dispatch.render(state.morning));
    dispatch.onRender(rendered);
  }

  return { init };
})();

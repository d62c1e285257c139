/* Re-planning during the day: on a finished plan (a morning plan or a re-plan), the
   dispatcher builds the day's events (a truck broken down, withdrawn or added, an extra
   pickup, a point cancelled or its tonnes changed, a road closed or slowed, a facility closed
   or opening late), sends them with a clock time to the re-plan route as a job followed like
   a plan job, then sees the new plan with its diff against the plan it revises: changed
   trucks and points on the map, a table. A re-plan that does not finish brings back the plan
   it was to revise, with its reason. */
"use strict";

window.DeskReplan = (() => {
  const { t, term } = window.DeskI18n;
  const { getJson, send, showFailure, clearErrors, ApiFailure } = window.DeskApi;
  const { esc, number, minutes, clock } = window.DeskCharts;
  const dispatch = window.DeskDispatch;
  const $ = (id) => document.getElementById(id);
  const ON_MAP = "";
  // base: the view shown, which events revise; opened: re-plan job id -> { diff, from, at },
  // the view it revised and its time
  const state = { base: null, opened: new Map(), events: [], place: null, placeMark: null };

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
    fill("replan-vehicle-type", instance.vehicle_types.map((vt) => option(vt.id, vt.id)).join(""));
    const points = instance.points.map((p) => option(p.id, siteLabel(p))).join("");
    fill("replan-point", points);
    fill("replan-place", option(ON_MAP, t("replan_on_map")) + points);
    fill("replan-facility", instance.facilities.map((f) => option(f.id, siteLabel(f))).join(""));
    const sites = [...instance.yards, ...instance.facilities, ...instance.points];
    for (const id of ["replan-from", "replan-to"]) fill(id, sites.map((s) => option(s.id, siteLabel(s))).join(""));
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
    const point = state.base.instance.points.find((p) => p.id === $("replan-place").value);
    if (point) $("replan-stream").value = point.stream;
    setPlace(point ? { lat: point.lat, lon: point.lon, name: point.name } : null);
  }

  // --- the events ------------------------------------------------------------------------------

  /** An id for an extra pickup that no point of the instance or event has. */
  function freshPointId() {
    const taken = new Set([
      ...state.base.instance.points.map((p) => p.id),
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

  /** The event the builder's fields describe; an ApiFailure naming a field left unset. A time
      left empty goes as it is (the API names it) or, where optional, not at all. */
  function builtEvent() {
    const type = $("replan-type").value;
    const between = () => [$("replan-from").value, $("replan-to").value];
    switch (type) {
      case "breakdown":
      case "truck_withdrawn":
        return { type, vehicle: $("replan-vehicle").value };
      case "truck_added": {
        const ready = $("replan-ready").value;
        return { type, vehicle_type: $("replan-vehicle-type").value, count: Number($("replan-count").value), ...(ready ? { ready } : {}) };
      }
      case "point_cancelled":
        return { type, point: $("replan-point").value };
      case "tonnes_changed":
        return { type, point: $("replan-point").value, tonnes: Number($("replan-tonnes").value) };
      case "road_closed":
        return { type, between: between() };
      case "road_slowed":
        return { type, between: between(), factor: Number($("replan-factor").value) };
      case "facility_closed":
        return { type, facility: $("replan-facility").value };
      case "gate_delayed":
        return { type, facility: $("replan-facility").value, opens: $("replan-opens").value };
      default:
        return extraPickup();
    }
  }

  function describe(event) {
    const { instance } = state.base;
    const sites = new Map([...instance.yards, ...instance.facilities, ...instance.points].map((s) => [s.id, s]));
    const name = (id) => (sites.has(id) ? siteLabel(sites.get(id)) : id);
    const what = t(`event_${event.type}`);
    switch (event.type) {
      case "breakdown":
      case "truck_withdrawn":
        return `${what}: ${event.vehicle}`;
      case "truck_added":
        return `${what}: ${event.count} × ${event.vehicle_type}${event.ready ? ` · ${t("replan_ready_at")} ${event.ready}` : ""}`;
      case "point_cancelled":
        return `${what}: ${name(event.point)}`;
      case "tonnes_changed":
        return `${what}: ${name(event.point)} → ${event.tonnes} ${t("tonnes")}`;
      case "road_closed":
        return `${what}: ${name(event.between[0])} – ${name(event.between[1])}`;
      case "road_slowed":
        return `${what}: ${name(event.between[0])} – ${name(event.between[1])} · × ${event.factor}`;
      case "facility_closed":
        return `${what}: ${name(event.facility)}`;
      case "gate_delayed":
        return `${what}: ${name(event.facility)} · ${t("replan_opens")} ${event.opens || "?"}`;
      default:
        break;
    }
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
    const from = state.base, at = $("replan-at").value;
    const body = { at, events: state.events };
    if ($("replan-time-limit").value) body.time_limit_s = Number($("replan-time-limit").value);
    try {
      const job = await send("POST", `/v1/plans/${encodeURIComponent(from.jobId)}/replan`, body);
      dispatch.follow(job, (jobId) => openReplan(jobId, from, at), (ended) => notFinished(ended, from));
    } catch (failure) {
      showFailure(form, failure);
    }
  }

  /** A finished re-plan: its diff, then the plan drawn as any plan is. */
  async function openReplan(jobId, from, at) {
    const diff = await getJson(`/v1/plans/${encodeURIComponent(jobId)}/diff`);
    state.opened.set(jobId, { diff, from, at });
    await dispatch.openPlan(jobId);
  }

  /** A re-plan that failed or was cancelled: the plan it was to revise again (with its own
      way back, if a re-plan), its events kept, and why next to the form. */
  function notFinished(job, from) {
    dispatch.render(from);
    const reason = job.error ?? t(`status_${job.status}`);
    showFailure($("replan-form"), new Error(`${t("replan_failed")}${reason}`));
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
    const points = new Map([...diff.from.instance.points, ...view.instance.points].map((p) => [p.id, p]));
    const ring = (id, kind, text) => {
      const point = points.get(id);
      if (point) map.mark([point.lat, point.lon], `diff-mark diff-${kind}`, `${siteLabel(point)} — ${text}`);
    };
    for (const m of diff.moved) ring(m.point_id, "moved", `${m.from_vehicle} → ${m.to_vehicle}`);
    for (const a of diff.added) ring(a.point_id, "added", `${t("legend_added")}: ${a.vehicle_id}`);
    for (const r of diff.removed) ring(r.point_id, "removed", `${t("legend_removed")}: ${r.vehicle_id}`);
  }

  function showDiff(view, { diff, from, at }) {
    markMap(view, { ...diff, from });
    $("replan-title").textContent = `${t("replan_of")}${from.plan.date ?? ""} ${at}`;
    $("replan-diff").innerHTML = `<h3>${t("replan_diff")}</h3>
      <div class="legend">${LEGEND.map(([cls, key]) => `<span class="legend-item"><span class="dot ${cls}"></span>${esc(t(key))}</span>`).join("")}</div>
      ${diffTable(diff)}`;
  }

  // --- following the dispatcher's view ---------------------------------------------------------

  /** After each view: a plan job's gets the panel, whose events revise it, a re-plan's also
      its diff and the way back; a plan that is neither (a compared scenario) gets no panel. */
  function rendered(view) {
    $("replan-panel").hidden = !view.jobId;
    if (!view.jobId) return;
    const opened = state.opened.get(view.jobId);
    if (state.base?.jobId !== view.jobId) {
      state.events = [];
      state.place = null;
      $("replan-at").value = opened?.at ?? nowInDay(view.instance);
    }
    state.base = view;
    fillChoices(view);
    setPlace(state.place); // the map was drawn anew: ring the chosen place again
    dispatch.state.map.onPlace = placeOnMap;
    renderEvents();
    showFields();
    $("replan-back").hidden = !opened;
    $("replan-diff").hidden = !opened;
    $("replan-title").textContent = t("replan");
    if (opened) showDiff(view, opened);
  }

  function init() {
    $("replan-type").addEventListener("change", showFields);
    $("replan-place").addEventListener("change", placeFromList);
    $("replan-add").addEventListener("click", addEvent);
    $("replan-form").addEventListener("submit", submit);
    $("replan-back").addEventListener("click", () => dispatch.render(state.opened.get(state.base.jobId).from));
    dispatch.onRender(rendered);
  }

  return { init };
})();

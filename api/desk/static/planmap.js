/* A Leaflet map of a plan (or a siting): the road network as base layer (no tiles: the desk
   works offline), one coloured line per truck, yards, stations by status, points. */
"use strict";

window.DeskMap = (() => {
  const { esc } = window.DeskCharts;
  const { t, term } = window.DeskI18n;

  /** A distinct colour for the i-th truck (golden-angle hues, two lightness bands). */
  const truckColour = (i) => `hsl(${(i * 137.508) % 360}, 72%, ${i % 2 ? 36 : 46}%)`;

  const STATION_STYLE = {
    open: { color: "#1b5e20", fillColor: "#43a047" },
    closed: { color: "#616161", fillColor: "#bdbdbd" },
    candidate: { color: "#e65100", fillColor: "#ffb74d" },
  };

  class PlanMap {
    constructor(element) {
      this.map = L.map(element, { zoomSnap: 0.25, preferCanvas: false, attributionControl: false });
      this.canvas = L.canvas({ padding: 0.2 });
      this.base = L.layerGroup().addTo(this.map);
      this.overlay = L.layerGroup().addTo(this.map);
      this.routes = new Map();
      this.selected = null;
      this.onPick = () => {};
      this.onPlace = () => {};
      this.map.on("click", (event) => this.onPlace(event.latlng));
      this.map.setView([25.5, 111.6], 10);
    }

    /** The road network (GeoJSON lines) as the base layer, or none. */
    setNetwork(network) {
      this.base.clearLayers();
      if (!network) return;
      L.geoJSON(network, {
        renderer: this.canvas,
        interactive: false,
        style: { color: "#9e9e9e", weight: 1.2, opacity: 0.8 },
      }).addTo(this.base);
    }

    clear() {
      this.overlay.clearLayers();
      this.routes.clear();
      this.selected = null;
    }

    /** Sites of ``instance``: stations by status (``openStations`` overrides it), plants,
        yards and points; ``unserved`` point ids ringed red. */
    drawSites(instance, { openStations = null, unserved = new Set(), pointRadius = 3 } = {}) {
      const layer = L.layerGroup().addTo(this.overlay);
      for (const p of instance.points) {
        const missed = unserved.has(p.id);
        L.circleMarker([p.lat, p.lon], {
          renderer: this.canvas,
          radius: missed ? pointRadius + 2 : pointRadius,
          color: missed ? "#d50000" : "#37474f",
          weight: missed ? 2 : 0.5,
          fillColor: p.stream === "kitchen" ? "#8d6e63" : "#546e7a",
          fillOpacity: 0.9,
        }).bindTooltip(`${esc(p.id)} ${esc(p.name || "")}${missed ? ` — ${t("legend_unserved")}` : ""}`)
          .addTo(layer);
      }
      for (const f of instance.facilities) {
        const isStation = f.kind === "transfer_station";
        let status = f.status || "open";
        if (isStation && openStations) status = openStations.has(f.id) ? "open" : status === "candidate" ? "candidate" : "closed";
        const style = isStation ? STATION_STYLE[status] : { color: "#4a148c", fillColor: "#9c27b0" };
        L.circleMarker([f.lat, f.lon], {
          radius: isStation ? 8 : 10, weight: 2, fillOpacity: 0.95, ...style,
          className: `station station-${isStation ? status : "plant"}`,
        }).bindTooltip(`${esc(f.name || f.id)} — ${esc(term(f.kind))}${isStation ? `, ${esc(term(status))}` : ""}`)
          .addTo(layer);
      }
      for (const y of instance.yards) {
        L.marker([y.lat, y.lon], {
          icon: L.divIcon({ className: "yard-icon", html: "▲", iconSize: [16, 16] }),
        }).bindTooltip(`${esc(y.name || y.id)} — ${esc(term("yard"))}`).addTo(layer);
      }
    }

    /** One line per route feature of the plan's GeoJSON, coloured by ``colourOf``. */
    drawRoutes(routesGeojson, colourOf) {
      for (const feature of routesGeojson.features) {
        if (feature.geometry.type !== "LineString") continue;
        const id = feature.properties.vehicle_id;
        const line = L.polyline(
          feature.geometry.coordinates.map(([lon, lat]) => [lat, lon]),
          { color: colourOf(id), weight: 3, opacity: 0.85, className: "route-line" },
        ).addTo(this.overlay);
        line.getElement()?.setAttribute("data-vehicle", id);
        line.bindTooltip(esc(id), { sticky: true });
        line.on("click", () => this.onPick(id));
        this.routes.set(id, line);
      }
    }

    /** Lines from each point to the station (or plant) it sends waste to. */
    drawAssignment(instance, assignment) {
      const where = new Map(instance.facilities.map((f) => [f.id, f]));
      const lines = [];
      for (const p of instance.points) {
        const f = where.get(assignment[p.id]);
        if (f) lines.push([[p.lat, p.lon], [f.lat, f.lon]]);
      }
      L.polyline(lines, { renderer: this.canvas, color: "#1e88e5", weight: 0.8, opacity: 0.5, interactive: false })
        .addTo(this.overlay);
    }

    highlight(vehicleId) {
      this.selected = vehicleId;
      for (const [id, line] of this.routes) {
        const on = vehicleId == null || id === vehicleId;
        line.setStyle({ weight: id === vehicleId ? 6 : 3, opacity: on ? 0.9 : 0.15 });
        if (id === vehicleId) line.bringToFront();
      }
    }

    /** Stand out the lines of ``vehicleIds`` (class route-changed), fade the others. */
    emphasise(vehicleIds) {
      for (const [id, line] of this.routes) {
        const on = vehicleIds.has(id);
        line.setStyle({ weight: on ? 6 : 2, opacity: on ? 0.95 : 0.25 });
        line.getElement()?.classList.toggle("route-changed", on);
        if (on) line.bringToFront();
      }
    }

    /** A ring at ``[lat, lon]`` with ``className`` and a tooltip; the layer, to remove it. */
    mark([lat, lon], className, tooltip) {
      return L.circleMarker([lat, lon], { radius: 9, weight: 3, fill: false, className })
        .bindTooltip(esc(tooltip)).addTo(this.overlay);
    }

    fit(instance) {
      const sites = [...instance.yards, ...instance.facilities, ...instance.points];
      if (sites.length) this.map.fitBounds(L.latLngBounds(sites.map((s) => [s.lat, s.lon])), { padding: [20, 20] });
    }

    refresh() {
      this.map.invalidateSize();
    }
  }

  function legend(items) {
    return items.map(([cls, label]) => `<span class="legend-item"><span class="dot ${cls}"></span>${esc(label)}</span>`).join("");
  }

  function siteLegend() {
    return legend([
      ["station-open", t("legend_open")],
      ["station-closed", t("legend_closed")],
      ["station-candidate", t("legend_candidate")],
      ["station-plant", t("legend_plant")],
      ["yard", t("legend_yard")],
      ["point", t("legend_point")],
      ["unserved", t("legend_unserved")],
    ]);
  }

  return { PlanMap, truckColour, siteLegend };
})();

"""map.html: a self-contained interactive map of hotspots, bases and each crew's route for a chosen day.

Leaflet (vendored from the npm ``leaflet`` package, BSD-2-Clause, see ``optimiser/vendor/``) is
inlined together with its stylesheet and icons, and the plan data is embedded as JSON, so the file
opens from a USB stick or an email attachment on a PC without internet: hotspots, bases and routes
draw on a plain background with a scale bar. OpenStreetMap tiles are an optional base layer (with
their attribution); offline they simply do not load and nothing else is affected. A Content Security
Policy forbids every other outside resource.

The page reports what it drew in ``#map-status`` (``data-hotspots``, ``data-routes``, ``data-stops``,
...) and counts script errors in ``<html data-errors>``, so a headless browser can check it.
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from optimiser.errors import PatrolError
from optimiser.plan import summary_mapping
from optimiser.reports.view import (
    PROJECT_LABEL,
    ROLE_LABEL,
    CrewView,
    HotspotView,
    PlanView,
    clock_on,
    day_label,
    span,
)

PROJECT_COLOURS = {"asb": "#E69F00", "sv": "#0072B2", "joint": "#CC79A7"}  # Okabe-Ito, colour-blind safe
ROUTE_COLOURS = (
    "#D62728", "#2CA02C", "#9467BD", "#8C564B", "#1F77B4", "#E377C2", "#17BECF", "#7F7F7F", "#BCBD22",
    "#FF7F0E", "#393B79", "#637939",
)  # fmt: skip
DEFAULT_RADIUS_M = 150.0
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: https://tile.openstreetmap.org; base-uri 'none'; form-action 'none'"
)
STOP_SPACING_PX = 16
TIME_LABEL_LIMIT = 30  # arrival times are labelled on the map by default when a day has at most this many visits

PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: "Segoe UI", Arial, Helvetica, sans-serif; }
#title { padding: 6px 12px; background: #22313f; color: #fff; font-size: 15px; }
#title small { color: #cfd8e3; margin-left: .8em; }
#map { flex: 1; background: #f2efe9; }
#script-errors { display: none; background: #b00020; color: #fff; padding: 4px 12px; font-size: 13px; }
.panel { background: #fff; padding: 6px 8px; border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,.4);
  font-size: 12px; max-width: 330px; }
.panel select { font-size: 13px; max-width: 100%; }
.panel details { margin-top: 4px; }
.panel .routes { max-height: 42vh; overflow: auto; margin: 4px 0 0; padding: 0; list-style: none; }
.panel .routes li { margin: 0 0 6px; }
.panel .routes ol { margin: 2px 0 0; padding-left: 1.8em; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px;
  margin-right: 4px; border: 1px solid rgba(0,0,0,.3); }
.line-swatch { display: inline-block; width: 18px; height: 4px; vertical-align: 2px; margin-right: 4px; }
.stop-icon span { display: block; min-width: 18px; height: 18px; line-height: 18px; padding: 0 3px; border-radius: 9px;
  color: #fff; font: bold 11px/18px Arial, sans-serif; text-align: center; border: 1.5px solid #fff;
  box-shadow: 0 0 2px rgba(0,0,0,.7); box-sizing: border-box; white-space: nowrap; }
.base-icon span { display: block; width: 18px; height: 18px; line-height: 16px; background: #222; color: #fff;
  font: bold 11px/16px Arial, sans-serif; text-align: center; border: 1px solid #fff; box-sizing: border-box; }
.base-icon.station span { background: #1d3557; }
.district-label { color: #555; font: italic 600 13px Arial, sans-serif; white-space: nowrap;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.popup h3 { margin: 0 0 4px; font-size: 14px; }
.popup table td { padding: 0 6px 0 0; vertical-align: top; }
.popup ol { margin: 4px 0 0; padding-left: 1.6em; }
.legend div { margin: 2px 0; }
.times-toggle { display: block; margin-top: 4px; }
.day-notice { color: #a40000; margin: 4px 0 0; max-width: 18em; }
.day-notice:empty { display: none; }
.leaflet-tooltip.time-label { padding: 1px 4px; font: 11px Arial, sans-serif; }
"""

APP_JS = r"""
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('plan-data').textContent);
  var status = document.getElementById('map-status');

  function params() {
    var out = {};
    (window.location.hash || '').replace(/^#/, '').split('&').forEach(function (part) {
      var kv = part.split('=');
      if (kv[0]) { out[decodeURIComponent(kv[0])] = decodeURIComponent(kv.slice(1).join('=')); }
    });
    return out;
  }
  var wanted = params();

  var map = L.map('map', {zoomSnap: 0.25, zoomDelta: 0.5});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a> (BSD-2-Clause)');
  var plain = L.layerGroup();
  var osm = L.tileLayer(DATA.tiles.url, {maxZoom: 19, attribution: DATA.tiles.attribution});
  var baseLayers = {};
  baseLayers['Plain background (offline)'] = plain;
  baseLayers['OpenStreetMap (needs internet)'] = osm;
  (wanted.tiles === 'osm' ? osm : plain).addTo(map);

  var bounds = L.latLngBounds([]);
  var overlays = {};
  var hotspotGroups = {};
  DATA.projects.forEach(function (p) {
    hotspotGroups[p.key] = L.featureGroup().addTo(map);
    var name = '<span class="swatch" style="background:' + p.colour + '"></span>Hotspots: ' + p.label;
    overlays[name] = hotspotGroups[p.key];
  });
  DATA.hotspots.forEach(function (h) {
    var style = {color: h.colour, weight: 2, opacity: 0.9, fillColor: h.colour, fillOpacity: 0.3,
                 className: 'hotspot hotspot-' + h.project};
    var shape = h.polygon ? L.polygon(h.polygon, style) : L.circle([h.lat, h.lon], L.extend({radius: h.radius}, style));
    shape.bindPopup(h.popup, {maxWidth: 320});
    shape.bindTooltip(h.tooltip, {sticky: true});
    hotspotGroups[h.project].addLayer(shape);
    bounds.extend(h.polygon ? shape.getBounds() : L.latLng(h.lat, h.lon).toBounds(2 * h.radius));
  });

  var baseGroup = L.featureGroup().addTo(map);
  DATA.bases.forEach(function (b) {
    var icon = L.divIcon({className: 'base-icon ' + b.kind, html: '<span>' + b.letter + '</span>', iconSize: [18, 18]});
    L.marker([b.lat, b.lon], {icon: icon, keyboard: false, title: b.title}).bindPopup(b.popup).addTo(baseGroup);
    bounds.extend([b.lat, b.lon]);
  });
  overlays['<span class="swatch" style="background:#222"></span>Bases and stations'] = baseGroup;

  var labelGroup = L.layerGroup().addTo(map);
  DATA.districts.forEach(function (d) {
    var icon = L.divIcon({className: 'district-label', html: d.html, iconSize: null});
    L.marker([d.lat, d.lon], {icon: icon, interactive: false, keyboard: false}).addTo(labelGroup);
  });
  overlays['District names'] = labelGroup;

  var dayGroups = {};
  var dayMarkers = {};
  DATA.days.forEach(function (d) { dayGroups[d.date] = L.layerGroup(); dayMarkers[d.date] = []; });
  DATA.routes.forEach(function (r) {
    var group = dayGroups[r.day];
    L.polyline(r.path, {color: r.colour, weight: 3, opacity: 0.85, className: 'route'})
      .bindPopup(r.popup, {maxWidth: 340}).addTo(group);
    r.markers.forEach(function (m) {
      var width = 10 + 7 * m.label.length;
      var icon = L.divIcon({
        className: 'stop-icon',
        html: '<span data-crew="' + r.key + '" data-stops="' + m.stops.join(',') + '" style="background:' +
              r.colour + '">' + m.label + '</span>',
        iconSize: [width, 18],
        iconAnchor: [width / 2 - m.dx, 9]
      });
      var marker = L.marker([m.lat, m.lon], {icon: icon, keyboard: false, zIndexOffset: 1000})
        .bindPopup(m.popup, {maxWidth: 320})
        .addTo(group);
      dayMarkers[r.day].push({marker: marker, m: m});
    });
  });
  var routeLayer = L.layerGroup().addTo(map);
  overlays['<span class="line-swatch" style="background:#D62728"></span>Routes of the chosen day'] = routeLayer;

  var DayControl = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var box = L.DomUtil.create('div', 'panel day-panel');
      var label = L.DomUtil.create('label', '', box);
      label.textContent = 'Day ';
      var select = L.DomUtil.create('select', '', label);
      select.id = 'day-select';
      DATA.days.forEach(function (d) {
        var option = document.createElement('option');
        option.value = d.date;
        option.textContent = d.label + ' (' + d.crews + (d.crews === 1 ? ' crew, ' : ' crews, ') + d.visits +
          (d.visits === 1 ? ' visit)' : ' visits)');
        select.appendChild(option);
      });
      var notice = L.DomUtil.create('p', 'day-notice', box);
      notice.id = 'day-notice';
      notice.setAttribute('role', 'status');
      var times = L.DomUtil.create('label', 'times-toggle', box);
      var check = L.DomUtil.create('input', '', times);
      check.type = 'checkbox';
      check.id = 'show-times';
      times.appendChild(document.createTextNode(' arrival times on the map'));
      L.DomEvent.on(check, 'change', function () { labelTimes(check.checked); });
      var details = L.DomUtil.create('details', '', box);
      details.open = true;
      var summary = L.DomUtil.create('summary', '', details);
      summary.id = 'routes-summary';
      var list = L.DomUtil.create('ul', 'routes', details);
      list.id = 'route-list';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(select, 'change', function () { showDay(select.value, true); });
      return box;
    }
  });
  new DayControl().addTo(map);
  L.control.layers(baseLayers, overlays, {collapsed: false, position: 'topright'}).addTo(map);
  var Legend = L.Control.extend({
    options: {position: 'bottomright'},
    onAdd: function () {
      var box = L.DomUtil.create('div', 'panel legend');
      box.innerHTML = DATA.legend;
      return box;
    }
  });
  new Legend().addTo(map);
  L.control.scale({metric: true, imperial: true, position: 'bottomleft', maxWidth: 160}).addTo(map);

  var current = null;
  function labelTimes(on) {
    (dayMarkers[current] || []).forEach(function (entry) {
      var m = entry.m;
      entry.marker.unbindTooltip();
      if (on) {
        entry.marker.bindTooltip(m.times, {permanent: true, direction: 'right', offset: [m.dx + 8, 0],
                                           className: 'time-label', opacity: 0.9});
      } else {
        entry.marker.bindTooltip(m.tooltip, {direction: 'top', offset: [m.dx, -8]});
      }
    });
    document.getElementById('show-times').checked = on;
    updateStatus();
  }
  function updateStatus() {
    var root = document.getElementById('map');
    var stops = 0;
    var labels = root.querySelectorAll('.leaflet-marker-pane .stop-icon span[data-stops]');
    Array.prototype.forEach.call(labels, function (el) { stops += el.getAttribute('data-stops').split(',').length; });
    status.setAttribute('data-day', current || '');
    status.setAttribute('data-hotspots', root.querySelectorAll('.leaflet-overlay-pane path.hotspot').length);
    status.setAttribute('data-bases', root.querySelectorAll('.leaflet-marker-pane .base-icon').length);
    status.setAttribute('data-routes', root.querySelectorAll('.leaflet-overlay-pane path.route').length);
    status.setAttribute('data-stop-markers', root.querySelectorAll('.leaflet-marker-pane .stop-icon').length);
    status.setAttribute('data-stops', stops);
    status.setAttribute('data-base-layer', map.hasLayer(osm) ? 'osm' : 'plain');
    status.setAttribute('data-time-labels', document.querySelectorAll('.leaflet-tooltip-pane .time-label').length);
    status.setAttribute('data-ready', '1');
    status.textContent = status.getAttribute('data-hotspots') + ' hotspots, ' +
      status.getAttribute('data-routes') + ' routes, ' + stops + ' visits drawn for ' + (current || '-');
  }
  function hashFor(day) {
    // the day changes; the other settings of the address (times=, tiles=) stay
    var parts = ['day=' + encodeURIComponent(day)];
    Object.keys(wanted).forEach(function (key) {
      if (key !== 'day') { parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(wanted[key])); }
    });
    return '#' + parts.join('&');
  }
  function showDay(day, remember) {
    var asked = day;
    if (!dayGroups[day]) { day = DATA.defaultDay; }
    // a day outside the plan's week (a mistyped or old link) is said, not silently replaced
    document.getElementById('day-notice').textContent = asked && asked !== day ?
      'No ' + asked + ' in this plan\'s week: showing ' + day + '.' : '';
    status.setAttribute('data-day-asked', asked || '');
    current = day;
    routeLayer.clearLayers();
    routeLayer.addLayer(dayGroups[day]);
    document.getElementById('day-select').value = day;
    var todays = DATA.routes.filter(function (r) { return r.day === day; });
    document.getElementById('routes-summary').textContent = 'Routes (' + todays.length + ')';
    document.getElementById('route-list').innerHTML = todays.length ?
      todays.map(function (r) { return r.panel; }).join('') : '<li>No crews on this day.</li>';
    var visits = DATA.days.filter(function (d) { return d.date === day; })[0].visits;
    labelTimes(wanted.times === 'on' || (wanted.times !== 'off' && visits <= DATA.timeLabelLimit));
    if (remember && window.history && window.history.replaceState) {
      try { window.history.replaceState(null, '', hashFor(day)); } catch (e) { /* file:// may refuse */ }
    }
    updateStatus();
  }
  map.on('overlayadd overlayremove baselayerchange', updateStatus);

  // keep the drawing clear of the day panel (left) and the layer list (right), within reason on small screens
  var width = map.getSize().x;
  var left = document.querySelector('.day-panel').offsetWidth;
  var right = document.querySelector('.leaflet-control-layers').offsetWidth;
  var fit = {paddingTopLeft: [Math.min(left + 24, width / 4), 24],
             paddingBottomRight: [Math.min(right + 24, width / 4), 24]};
  if (bounds.isValid()) { map.fitBounds(bounds, fit); } else { map.setView([DATA.centre[0], DATA.centre[1]], 12); }
  showDay(wanted.day || DATA.defaultDay, false);
  window.addEventListener('hashchange', function () {
    wanted = params();
    showDay(wanted.day || DATA.defaultDay, false);
  });
})();
"""

ERROR_HOOK_JS = r"""
(function () {
  var root = document.documentElement;
  root.setAttribute('data-errors', '0');
  window.__mapErrors = [];
  function record(message) {
    window.__mapErrors.push(String(message));
    root.setAttribute('data-errors', String(window.__mapErrors.length));
    root.setAttribute('data-error-messages', window.__mapErrors.join(' | '));
    var box = document.getElementById('script-errors');
    if (box) { box.style.display = 'block'; box.textContent = 'Map error: ' + window.__mapErrors.join(' | '); }
  }
  window.addEventListener('error', function (event) {
    if (event instanceof ErrorEvent) { record(event.message + ' (' + event.filename + ':' + event.lineno + ')'); }
  });
  window.addEventListener('unhandledrejection', function (event) { record('unhandled rejection: ' + event.reason); });
  document.addEventListener('securitypolicyviolation', function (event) {
    if (event.blockedURI.indexOf('https://tile.openstreetmap.org') !== 0) {
      record('blocked outside resource: ' + event.blockedURI + ' (' + event.violatedDirective + ')');
    }
  });
})();
"""


def _vendor(name: str) -> bytes:
    """A vendored file's bytes (``optimiser/vendor/NAME``)."""
    try:
        return resources.files("optimiser").joinpath("vendor", name).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise PatrolError(
            f"optimiser/vendor/{name} is missing, so map.html cannot embed Leaflet; reinstall patrol "
            "(the vendor files are package data) or skip the map with --formats xlsx,html,ics"
        ) from exc


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and stylesheet ready to inline: no source-map comment, icons as data URIs."""
    script = _vendor("leaflet.js").decode("utf-8")
    script = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", script)
    css = _vendor("leaflet.css").decode("utf-8")

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode(_vendor(f"leaflet-{match.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([A-Za-z0-9_.-]+\.png)\)", inline, css)
    if "</script" in script.lower() or "</style" in css.lower():
        raise PatrolError("the vendored Leaflet files contain a closing tag and cannot be inlined; re-vendor them")
    return script, css


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def _hotspot_popup(spot: HotspotView, view: PlanView) -> str:
    predictability = summary_mapping(view.summary, "predictability_by_hotspot").get(spot.hotspot_id)
    rows = [
        ("Hotspot", escape(spot.hotspot_id)),
        ("District", escape(view.district_name(spot.district))),
        ("Project", escape(PROJECT_LABEL.get(spot.project, spot.project))),
        ("Harm weight", f"{spot.harm_weight:,.3g}" if spot.harm_weight < 100 else f"{spot.harm_weight:,.0f}"),
        ("Planned visits (week)", str(spot.visits)),
        ("Planned minutes (week)", str(spot.minutes)),
    ]
    if isinstance(predictability, int | float):
        rows.append(("Predictability", f"{predictability:.0f} min spread of arrival times (higher: less predictable)"))
    area = "polygon" if spot.polygon else f"{spot.radius_m or DEFAULT_RADIUS_M:g} m radius"
    rows.append(("Area", escape(area)))
    return f"<div class='popup'><h3>{escape(spot.name)}</h3>{_table(rows)}</div>"


def _route_data(crew: CrewView, colour: str, view: PlanView, offsets: dict[tuple[str, str], int]) -> dict[str, Any]:
    """One crew's route: the line (base, stops in order, base), its markers and its panel entry."""
    base = view.base(crew.base_id)
    path: list[list[float]] = [[base.lat, base.lon]] if base is not None else []
    grouped: dict[str, list[Any]] = defaultdict(list)
    for visit in crew.visits:
        spot = view.hotspot(visit.row.hotspot_id)
        path.append([spot.lat, spot.lon])
        grouped[spot.hotspot_id].append(visit)
    if base is not None:
        path.append([base.lat, base.lon])
    people = ", ".join(f"{m} ({ROLE_LABEL.get(r, r)})" for m, r in zip(crew.members, crew.roles, strict=True))
    shift = span(crew.start, crew.end, day=crew.day)
    markers = []
    for hotspot_id, visits in grouped.items():
        spot = view.hotspot(hotspot_id)
        times = "; ".join(f"{v.stop}. {span(v.arrive, v.depart, day=crew.day)}" for v in visits)
        markers.append(
            {
                "lat": spot.lat,
                "lon": spot.lon,
                "stops": [v.stop for v in visits],
                "label": escape("·".join(str(v.stop) for v in visits)),
                "dx": offsets[(crew.crew_id, hotspot_id)],
                "tooltip": escape(f"{crew.crew_id}: {times} at {spot.name}"),
                "times": escape(" · ".join(f"{v.stop}: {clock_on(v.arrive, crew.day)}" for v in visits)),
                "popup": (
                    f"<div class='popup'><h3>{escape(spot.name)}</h3>"
                    + _table(
                        [
                            ("Crew", escape(crew.crew_id)),
                            ("People", escape(people)),
                            ("Stop(s)", escape(times)),
                            ("Dwell", escape(", ".join(f"{v.row.dwell_minutes} min" for v in visits))),
                        ]
                    )
                    + "</div>"
                ),
            }
        )
    stops = "".join(
        f"<li>{escape(clock_on(v.arrive, crew.day))} {escape(v.hotspot_name)} "
        f"<small>({v.row.dwell_minutes} min)</small></li>"
        for v in crew.visits
    )
    base_name = view.base_name(crew.base_id)
    popup = (
        f"<div class='popup'><h3>{escape(crew.crew_id)}</h3>"
        + _table(
            [
                ("People", escape(people)),
                ("Shift", escape(shift)),
                ("Base", escape(base_name)),
                ("Project", escape(PROJECT_LABEL.get(crew.project, crew.project))),
            ]
        )
        + (f"<ol>{stops}</ol>" if stops else "<p>No visits planned.</p>")
        + "<p><small>Legs are drawn straight; travel times follow the plan's travel model.</small></p></div>"
    )
    panel = (
        f"<li><span class='line-swatch' style='background:{colour}'></span><strong>{escape(crew.crew_id)}</strong> "
        f"{escape(shift)}<br><small>{escape(people)}; from {escape(base_name)}</small>"
        + (f"<ol>{stops}</ol>" if stops else "<br><small>no visits</small>")
        + "</li>"
    )
    return {
        "key": escape(crew.crew_id),
        "day": crew.day.isoformat(),
        "colour": colour,
        "path": path,
        "markers": markers,
        "popup": popup,
        "panel": panel,
    }


def map_data(view: PlanView) -> dict[str, Any]:
    """Everything map.html draws, as JSON-ready data (popups pre-rendered and HTML-escaped)."""
    projects = sorted({h.project for h in view.hotspots}, key=lambda p: [*PROJECT_COLOURS, p].index(p))
    hotspots = []
    for spot in view.hotspots:
        colour = PROJECT_COLOURS.get(spot.project, "#555555")
        hotspots.append(
            {
                "id": spot.hotspot_id,
                "project": spot.project,
                "colour": colour,
                "lat": spot.lat,
                "lon": spot.lon,
                "radius": spot.radius_m or DEFAULT_RADIUS_M,
                # one Leaflet polygon of one ring per part: [[[lat, lon], ...]] per part
                "polygon": [[[[lat, lon] for lon, lat in ring]] for ring in spot.polygon] if spot.polygon else None,
                "popup": _hotspot_popup(spot, view),
                "tooltip": escape(f"{spot.name} ({PROJECT_LABEL.get(spot.project, spot.project)})"),
            }
        )
    bases = [
        {
            "lat": b.lat,
            "lon": b.lon,
            "kind": "station" if b.kind == "police_station" else "warden",
            "letter": "P" if b.kind == "police_station" else "W",
            "title": b.name,
            "popup": f"<div class='popup'><h3>{escape(b.name)}</h3>{escape(b.base_id)}, "
            f"{'police station' if b.kind == 'police_station' else 'warden base'}</div>",
        }
        for b in view.bases
    ]
    districts = []
    for code, name in view.district_names.items():
        points = [(h.lat, h.lon) for h in view.hotspots if h.district == code]
        points += [(b.lat, b.lon) for b in view.scenario.bases if b.district == code]
        if points:
            districts.append(
                {
                    "html": escape(name),
                    "lat": sum(p[0] for p in points) / len(points),
                    "lon": sum(p[1] for p in points) / len(points),
                }
            )
    # crews at the same hotspot on the same day get their numbered markers side by side
    at_spot: dict[tuple[str, str], list[str]] = defaultdict(list)
    for crew in view.crews:
        for hotspot_id in dict.fromkeys(v.row.hotspot_id for v in crew.visits):
            at_spot[(crew.day.isoformat(), hotspot_id)].append(crew.crew_id)
    offsets: dict[tuple[str, str], int] = {}
    for (_day, hotspot_id), crew_ids in at_spot.items():
        for rank, crew_id in enumerate(crew_ids):
            offsets[(crew_id, hotspot_id)] = int((rank - (len(crew_ids) - 1) / 2) * STOP_SPACING_PX)
    routes = []
    per_day: dict[str, int] = defaultdict(int)
    for crew in view.crews:
        key = crew.day.isoformat()
        colour = ROUTE_COLOURS[per_day[key] % len(ROUTE_COLOURS)]
        per_day[key] += 1
        routes.append(_route_data(crew, colour, view, offsets))
    days: list[dict[str, Any]] = []
    for day in view.days:
        crews = [c for c in view.crews if c.day == day]
        days.append(
            {
                "date": day.isoformat(),
                "label": day_label(day),
                "crews": len(crews),
                "visits": sum(len(c.visits) for c in crews),
            }
        )
    busy = [d["date"] for d in days if d["crews"]]
    legend = (
        "<div><span class='base-icon'><span style='display:inline-block'>W</span></span> warden base, "
        "<span class='base-icon station'><span style='display:inline-block'>P</span></span> police station</div>"
        "<div>Numbered circles: a crew's stops in order; lines join them straight, in order: they are not "
        "the streets taken (the travel times are).</div>"
        "<div>Hotspot colours: see the layer list. Click anything for details.</div>"
        f"<div>Times are local ({escape(view.scenario.timezone)}).</div>"
    )
    centre = [view.bases[0].lat, view.bases[0].lon] if view.bases else [0.0, 0.0]
    return {
        "projects": [
            {"key": p, "label": PROJECT_LABEL.get(p, p), "colour": PROJECT_COLOURS.get(p, "#555555")} for p in projects
        ],
        "hotspots": hotspots,
        "bases": bases,
        "districts": districts,
        "days": days,
        "routes": routes,
        "defaultDay": busy[0] if busy else days[0]["date"],
        "legend": legend,
        "timeLabelLimit": TIME_LABEL_LIMIT,
        "centre": centre,
        "tiles": {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION},
    }


def _json_for_script(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``<``, ``>`` or ``&`` that could end or confuse it)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_map(view: PlanView, path: Path) -> Path:
    """Write ``map.html``: one file, Leaflet and the plan inlined, working offline.

    Returns
    -------
    Path
        ``path``.
    """
    script, css = leaflet_assets()
    data = map_data(view)
    summary = view.summary
    title = f"Patrol map: {summary.get('scenario', view.scenario.name)}, week of {day_label(view.week_start)}"
    html = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        f"<script>{ERROR_HOOK_JS}</script>"
        f"<style>\n/* Leaflet 1.9.4, BSD-2-Clause (c) Volodymyr Agafonkin, CloudMade */\n{css}</style>"
        f"<style>{PAGE_CSS}</style></head><body>"
        f"<div id='title'>{escape(title)}<small>status {escape(view.status)}; "
        f"{len(view.hotspots)} hotspots, {len(view.crews)} crew shifts in the week</small></div>"
        "<div id='script-errors'></div>"
        "<div id='map'></div>"
        "<div id='map-status' hidden data-ready='0'></div>"
        f"<script type='application/json' id='plan-data'>{_json_for_script(data)}</script>"
        f"<script>\n/* Leaflet 1.9.4 - https://leafletjs.com - BSD-2-Clause, (c) 2010-2023 Volodymyr Agafonkin, "
        f"(c) 2010-2011 CloudMade */\n{script}</script>"
        f"<script>{APP_JS}</script>"
        "</body></html>\n"
    )
    path.write_text(html, encoding="utf-8")
    return path

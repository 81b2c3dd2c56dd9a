/* The project map. No inline script: everything comes from data-* attributes and JSON endpoints.
 * Districts are drawn from /api/v1/map/districts.geojson as the base layer (so the map works on an
 * intranet with no tiles); projects come from /api/v1/map/projects.geojson, bbox-filtered, as
 * clustered circle markers coloured by state and sized by households, outlines at close zoom.
 * User text (project names) is only ever put into the page with textContent, never as HTML. */
(function () {
  "use strict";

  var STATE_COLOURS = { unresolved: "#c53030", in_progress: "#d69e2e", resolved: "#2f8132" };
  var RAMP = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  var MEASURES = { open_defects: "未销号问题数", uncertified_households: "未办证户数" };
  var FILTERS = ["district", "type", "lead", "status", "q"];
  var OUTLINE_MIN_ZOOM = 14;

  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var form = document.getElementById("map-filters");
  var measureSelect = document.getElementById("map-measure");
  var statusEl = document.getElementById("map-status");

  var map = L.map(el, { zoomSnap: 0.5, minZoom: 7, maxZoom: 19, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.setView([39.0, 106.55], 9);

  var tiles = {};
  try {
    tiles = JSON.parse(el.dataset.tiles || "{}");
  } catch (e) {
    tiles = {};
  }
  if (tiles.url) {
    var tileOptions = {
      subdomains: tiles.subdomains || "abc",
      tk: tiles.token || "",
      attribution: tiles.attribution || "",
      maxZoom: 18,
    };
    L.tileLayer(tiles.url, tileOptions).addTo(map);
    if (tiles.labels) {
      L.tileLayer(tiles.labels, tileOptions).addTo(map);
    }
  }

  map.createPane("districts");
  map.getPane("districts").style.zIndex = 350;
  map.createPane("outlines");
  map.getPane("outlines").style.zIndex = 380;

  var districtLayer = L.geoJSON(null, { pane: "districts" }).addTo(map);
  var labelLayer = L.layerGroup().addTo(map);
  var outlineLayer = L.layerGroup();
  var clusters = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 45,
    disableClusteringAtZoom: 16,
  }).addTo(map);
  var legend = null;
  var loadedBox = null;
  var cityBox = null;
  var fitted = false;
  var projectRequest = 0;

  function currentFilters() {
    var params = new URLSearchParams();
    if (!form) {
      return params;
    }
    FILTERS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value) {
        params.set(name, field.value.trim());
      }
    });
    return params;
  }

  function setStatus(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(
      function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body && body.message ? body.message : "请求失败（" + response.status + "）");
          }
          return body;
        });
      }
    );
  }

  // ------------------------------------------------------------ districts (base layer)

  function rampColour(value, max) {
    if (value === null || value === undefined) {
      return "#e4e7eb";
    }
    if (!max) {
      return RAMP[0];
    }
    var index = Math.min(RAMP.length - 1, Math.floor((value / max) * RAMP.length));
    return RAMP[index];
  }

  function drawLegend(measure, max) {
    if (legend) {
      map.removeControl(legend);
      legend = null;
    }
    if (!measure) {
      return;
    }
    legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "choropleth-legend");
      var title = L.DomUtil.create("div", "", box);
      title.textContent = "县区" + MEASURES[measure];
      var ramp = L.DomUtil.create("div", "ramp", box);
      RAMP.forEach(function (colour) {
        var cell = L.DomUtil.create("span", "", ramp);
        cell.style.background = colour;
      });
      var ends = L.DomUtil.create("div", "ends", box);
      L.DomUtil.create("span", "", ends).textContent = "0";
      L.DomUtil.create("span", "", ends).textContent = String(max);
      return box;
    };
    legend.addTo(map);
  }

  function loadDistricts() {
    var params = currentFilters();
    var measure = measureSelect ? measureSelect.value : "open_defects";
    return fetchJson(el.dataset.districtsUrl + "?" + params.toString()).then(function (data) {
      var max = 0;
      if (measure) {
        data.features.forEach(function (f) {
          var v = f.properties[measure];
          if (typeof v === "number" && v > max) {
            max = v;
          }
        });
      }
      districtLayer.clearLayers();
      labelLayer.clearLayers();
      districtLayer.options.style = function (feature) {
        var value = measure ? feature.properties[measure] : null;
        return {
          color: "#334e68",
          weight: 2,
          fillColor: measure ? rampColour(value, max) : "#f4f6f8",
          fillOpacity: measure ? 0.45 : 0.3,
          className: "district-shape",
        };
      };
      districtLayer.options.onEachFeature = function (feature, layer) {
        var p = feature.properties;
        var lines = [p.name];
        if (p.in_scope) {
          lines.push("项目 " + p.projects + " 个");
          lines.push("未销号问题 " + p.open_defects + " 项");
          lines.push("未办证 " + p.uncertified_households + " 户");
          if (p.mismatched) {
            lines.push("坐标与县区不一致 " + p.mismatched + " 个");
          }
        }
        var tip = document.createElement("div");
        lines.forEach(function (line, i) {
          var row = document.createElement(i === 0 ? "strong" : "div");
          row.textContent = line;
          tip.appendChild(row);
        });
        layer.bindTooltip(tip, { sticky: true });
        // A permanent label with the choropleth figure: with three districts the number says
        // more than the shade.
        if (measure && p.in_scope) {
          var label = document.createElement("div");
          var name = document.createElement("strong");
          name.textContent = p.name;
          label.appendChild(name);
          var figure = document.createElement("div");
          figure.textContent = MEASURES[measure] + " " + p[measure];
          label.appendChild(figure);
          labelLayer.addLayer(
            L.tooltip({ permanent: true, direction: "center", className: "district-label", interactive: false })
              .setLatLng(p.label_point ? [p.label_point[1], p.label_point[0]] : layer.getBounds().getCenter())
              .setContent(label)
          );
        }
      };
      districtLayer.addData(data);
      el.dataset.districts = String(data.features.length);
      drawLegend(measure, max);
      cityBox = data.bbox || cityBox;
      fadeDistricts();
      if (!fitted && data.bbox) {
        // No animation: a zoom still running would swallow the fit to filtered projects.
        map.fitBounds(
          [
            [data.bbox[1], data.bbox[0]],
            [data.bbox[3], data.bbox[2]],
          ],
          { animate: false }
        );
        fitted = true;
      }
    });
  }

  // ------------------------------------------------------------ projects

  function radius(households) {
    return 4 + Math.min(14, Math.sqrt(Math.max(households, 0)) / 3);
  }

  var labels = { types: {}, departments: {} };

  function popupFor(p) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("h3");
    title.textContent = p.name;
    box.appendChild(title);
    function line(text, cls) {
      var row = document.createElement("p");
      row.textContent = text;
      if (cls) {
        row.className = cls;
      }
      box.appendChild(row);
    }
    line(p.code + " · " + p.district_name + " · " + p.state_label);
    if (p.address) {
      line(p.address);
    }
    line("已办证 " + p.certified_households + " / " + p.total_households + " 户，未销号问题 " + p.open_defects + " 项");
    var open = p.defects.filter(function (d) {
      return d.status !== "closed";
    });
    if (open.length) {
      line(
        open
          .map(function (d) {
            return (labels.types[d.type] || d.type) + "（" + (labels.departments[d.lead] || d.lead) + "牵头）";
          })
          .join("；")
      );
    }
    if (p.has_outline && p.area_m2) {
      line("红线面积 " + Math.round(p.area_m2).toLocaleString("zh-CN") + " 平方米");
    }
    if (p.district_mismatch) {
      line("坐标不在所属县区内，请核对。", "warn");
    }
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = "查看项目详情";
    box.appendChild(link);
    return box;
  }

  function viewBox() {
    var b = map.getBounds().pad(0.5);
    var clamp = function (v, lo, hi) {
      return Math.max(lo, Math.min(hi, v));
    };
    return [
      clamp(b.getWest(), -180, 180),
      clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180),
      clamp(b.getNorth(), -90, 90),
    ];
  }

  function inside(outer, inner) {
    return outer && inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
  }

  // `fit`: load the whole city and zoom to what the filters found (a search shows its result).
  function loadProjects(force, fit) {
    var wanted = map.getBounds();
    var needed = [wanted.getWest(), wanted.getSouth(), wanted.getEast(), wanted.getNorth()];
    if (!force && inside(loadedBox, needed)) {
      return Promise.resolve();
    }
    var box = fit && cityBox ? cityBox.slice() : viewBox();
    var params = currentFilters();
    params.set("bbox", box.map(function (v) { return v.toFixed(5); }).join(","));
    params.set("geometry", "outline");
    var ticket = ++projectRequest;
    setStatus("正在加载项目…");
    return fetchJson(el.dataset.projectsUrl + "?" + params.toString()).then(function (data) {
      if (ticket !== projectRequest) {
        return; // a newer request superseded this one
      }
      labels = data.labels || labels;
      clusters.clearLayers();
      outlineLayer.clearLayers();
      var markers = [];
      data.features.forEach(function (f) {
        var p = f.properties;
        if (p.lat === null || p.lon === null) {
          return;
        }
        var colour = STATE_COLOURS[p.state] || "#52606d";
        var marker = L.circleMarker([p.lat, p.lon], {
          radius: radius(p.total_households),
          color: p.district_mismatch ? "#1a202c" : "#ffffff",
          weight: p.district_mismatch ? 2.5 : 1,
          fillColor: colour,
          fillOpacity: 0.8,
          className: "project-marker state-" + p.state,
        });
        marker.bindPopup(popupFor(p));
        markers.push(marker);
        if (f.geometry && f.geometry.type !== "Point") {
          L.geoJSON(f.geometry, {
            pane: "outlines",
            style: { color: "#7b341e", weight: 2, fillColor: colour, fillOpacity: 0.15, className: "project-outline" },
          })
            .bindPopup(popupFor(p))
            .addTo(outlineLayer);
        }
      });
      clusters.addLayers(markers);
      loadedBox = box;
      el.dataset.markers = String(markers.length);
      el.dataset.state = "ready";
      if (fit && markers.length) {
        map.fitBounds(L.featureGroup(markers).getBounds(), {
          maxZoom: 16,
          padding: [40, 40],
          animate: false,
        });
      }
      var text = "地图已加载 " + data.count + " 个项目";
      if (data.unlocated) {
        text += "；另有 " + data.unlocated + " 个符合条件的项目尚未标注位置";
      }
      setStatus(text + "。");
    });
  }

  // Up close the district fill would tint everything: fade it so markers and outlines read.
  function fadeDistricts() {
    var measure = measureSelect ? measureSelect.value : "open_defects";
    var close = map.getZoom() >= 12;
    districtLayer.setStyle({ fillOpacity: close ? 0.08 : measure ? 0.45 : 0.3 });
    if (close) {
      labelLayer.remove();
    } else {
      labelLayer.addTo(map);
    }
  }

  function toggleOutlines() {
    if (map.getZoom() >= OUTLINE_MIN_ZOOM) {
      outlineLayer.addTo(map);
    } else {
      outlineLayer.remove();
    }
  }

  function syncLinks() {
    var params = currentFilters();
    document.querySelectorAll("a[data-keep-filters]").forEach(function (a) {
      var url = new URL(a.href, window.location.href);
      FILTERS.forEach(function (name) {
        url.searchParams.delete(name);
      });
      params.forEach(function (value, key) {
        url.searchParams.set(key, value);
      });
      a.href = url.pathname + url.search;
    });
    var page = new URL(window.location.href);
    page.search = params.toString();
    window.history.replaceState(null, "", page.pathname + page.search);
  }

  function refresh() {
    el.dataset.state = "loading";
    syncLinks();
    return loadDistricts()
      .then(function () {
        return loadProjects(true, true);
      })
      .catch(function (err) {
        el.dataset.state = "error";
        setStatus("加载失败：" + err.message);
      });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      refresh();
    });
  }
  if (measureSelect) {
    measureSelect.addEventListener("change", function () {
      loadDistricts();
    });
  }
  map.on("moveend", function () {
    toggleOutlines();
    fadeDistricts();
    if (el.dataset.state === "ready") {
      loadProjects(false).catch(function (err) {
        setStatus("加载失败：" + err.message);
      });
    }
  });

  el.dataset.state = "loading";
  loadDistricts()
    .then(function () {
      // Opened with filters in the URL (a shared link): zoom to what they find.
      return loadProjects(true, currentFilters().toString() !== "");
    })
    .then(toggleOutlines)
    .catch(function (err) {
      el.dataset.state = "error";
      setStatus("加载失败：" + err.message);
    });
})();

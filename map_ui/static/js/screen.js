/* The command screen (指挥大屏): filters, live figures, charts, lists, the event card, search,
   drawing, click-to-route, heat. Everything from the data is put on the page with textContent
   (never innerHTML), so an event titled <script>…</script> shows as text. */
(function (global) {
  "use strict";

  var S = global.Shuxin;
  var state = null;

  var GLYPH = {
    "01": "容", "02": "广", "03": "工", "04": "急", "05": "街", "10": "纠", "11": "患",
    "12": "安", "13": "访", "14": "环", "15": "食", "16": "民", "17": "汛", "18": "灾",
    "19": "疫", "20": "党"
  };
  var ERRORS = {
    stale_version: "该事件已被他人更新，已刷新，请重试",
    illegal_transition: "当前状态不允许该操作",
    forbidden: "无权进行该操作",
    unauthorized: "登录已失效，请重新登录",
    validation_error: "填写内容有误",
    invalid_input: "填写内容有误"
  };
  var TASK_STATES = {
    pending: "待签收", acknowledged: "已签收", in_progress: "处置中", done: "已反馈",
    returned: "已退回", cancelled: "已撤销"
  };
  // --- small helpers ---------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }
  var el = S.el;

  function config() {
    var node = $("sx-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  // The words for actions and timeline entries, and the actions the card offers, come from the
  // server's one table of actions (api/events/transitions.py) through the page's config.
  function actionLabel(name) {
    return (ensureState().cfg.action_labels || {})[name] || name;
  }

  function ensureState() {
    if (state) return state;
    var cfg = config();
    state = {
      cfg: cfg,
      map: global[cfg.layers.map],
      layers: cfg.layers,
      filters: readFilters(),
      cursor: 0,
      charts: {},
      heat: null,
      cardId: null,
      drawing: false,
      categories: {},
      lastView: null
    };
    return state;
  }

  function readFilters() {
    var params = new URLSearchParams(global.location.search);
    return {
      range: params.get("range") || "30d",
      status: params.get("status") || "",
      category: params.get("category") || "",
      platform: params.get("platform") || "",
      area: params.get("area") || ""
    };
  }

  function query(extra) {
    var f = ensureState().filters;
    var params = new URLSearchParams();
    params.set("range", f.range);
    ["status", "category", "platform", "area"].forEach(function (k) {
      if (f[k]) params.set(k, f[k]);
    });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  function api(path, options) {
    options = options || {};
    var headers = { "X-Requested-With": "shuxin" };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(ensureState().cfg.api_prefix + path, {
      method: options.method || "GET",
      headers: headers,
      credentials: "same-origin",
      body: options.body ? JSON.stringify(options.body) : undefined
    }).then(function (response) {
      if (response.status === 401) { global.location.href = "/login?next=" +
        encodeURIComponent(global.location.pathname + global.location.search); }
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || response.statusText);
          error.data = data;
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function toast(message, kind) {
    var box = $("sx-toast");
    box.textContent = message;
    box.className = "sx-toast" + (kind ? " sx-toast-" + kind : "");
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  function explain(error) {
    var data = error.data || {};
    var text = ERRORS[data.error] || "操作失败";
    if (data.allowed_actions) {
      text += "（当前可做：" + data.allowed_actions.map(function (a) {
        return actionLabel(a);
      }).join("、") + "）";
    }
    return text + (data.message ? "：" + data.message : "");
  }

  function shortTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("zh-CN", {
      timeZone: S.timeZone(), month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hour12: false
    });
  }

  // --- the map's event layer (called by folium's Realtime) -----------------------------------------

  function fetchEvents(ok, fail) {
    var s = ensureState();
    if (!s.map) { ok({ type: "FeatureCollection", features: [] }); return; }
    var b = s.map.getBounds();
    var bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()),
                Math.min(180, b.getEast()), Math.min(90, b.getNorth())]
      .map(function (v) { return v.toFixed(5); }).join(",");
    var zoom = s.map.getZoom();
    api("/screen/map?" + query({ bbox: bbox, zoom: zoom })).then(function (data) {
      s.lastView = { mode: data.mode, inView: data.in_view, count: data.features.length };
      document.body.dataset.eventsMode = data.mode;
      ok(data);
    }, function (error) { if (fail) fail(error); });
  }

  function statusKey(p) {
    if (p.overdue) return "overdue";
    if (p.at_risk) return "at_risk";
    return p.status;
  }

  function color(key) { return (S.STATUS[key] || { color: "#666" }).color; }
  function label(key) { return (S.STATUS[key] || { label: key }).label; }

  function eventIcon(p) {
    var key = statusKey(p);
    var glyph = GLYPH[(p.category || "").slice(0, 2)] || "事";
    return L.divIcon({
      className: "sx-event-icon sx-status-" + key,
      html: "<span style=\"background:" + color(key) + "\">" + glyph + "</span>",
      iconSize: [24, 24], iconAnchor: [12, 12]
    });
  }

  function clusterIcon(p) {
    var size = Math.round(26 + Math.min(34, Math.log(p.count + 1) * 5));
    var cls = "sx-cluster" + (p.overdue ? " sx-cluster-late" : "");
    return L.divIcon({
      className: cls,
      html: "<span>" + (p.count >= 10000 ? Math.round(p.count / 1000) + "k" : p.count) +
        "</span>",
      iconSize: [size, size], iconAnchor: [size / 2, size / 2]
    });
  }

  function eventLayer(f, latlng) {
    var p = f.properties || {};
    var marker = L.marker(latlng, {
      icon: p.cluster ? clusterIcon(p) : eventIcon(p), keyboard: false,
      riseOnHover: true
    });
    marker._sxKey = JSON.stringify(p);
    return marker;
  }

  function updateEvent(f, old) {
    if (!old) return undefined;
    var key = JSON.stringify(f.properties || {});
    if (old._sxKey !== key) {
      var p = f.properties || {};
      old.setIcon(p.cluster ? clusterIcon(p) : eventIcon(p));
      old._sxKey = key;
    }
    var c = f.geometry.coordinates;
    old.setLatLng([c[1], c[0]]);
    old.feature = f;
    return old;
  }

  function bindEvent(f, layer) {
    var p = f.properties || {};
    if (p.cluster) {
      layer.bindTooltip(function () {
        var box = el("div");
        box.appendChild(el("strong", p.count + " 件事件"));
        Object.keys(p.statuses || {}).forEach(function (k) {
          box.appendChild(el("div", label(k) + "：" + p.statuses[k]));
        });
        if (p.overdue) box.appendChild(el("div", "其中已超期：" + p.overdue, "sx-late"));
        return box;
      });
      layer.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        var s = ensureState();
        s.map.setView(layer.getLatLng(), Math.min(18, s.map.getZoom() + 2));
      });
    } else {
      layer.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        openCard(f.id);
      });
    }
  }

  // --- hazard points and shelters -------------------------------------------------------------------

  var POI = {
    geohazard: { glyph: "险", color: "#8c510a", label: "地质灾害隐患点" },
    dangerous_house: { glyph: "危", color: "#b35806", label: "危房" },
    reservoir: { glyph: "塘", color: "#2166ac", label: "山塘水库" },
    shelter: { glyph: "避", color: "#1a9850", label: "避灾安置点" }
  };

  function poiLayer(f, latlng) {
    var p = f.properties || {};
    var kind = POI[p.kind] || { glyph: "点", color: "#555", label: p.kind };
    var marker = L.marker(latlng, {
      icon: L.divIcon({ className: "sx-poi-icon", iconSize: [22, 22], iconAnchor: [11, 11],
        html: "<span style=\"background:" + kind.color + "\">" + kind.glyph + "</span>" })
    });
    marker.bindTooltip(function () {
      var box = el("div");
      box.appendChild(el("strong", p.name));
      box.appendChild(el("div", kind.label + (p.attributes && p.attributes.capacity ?
        " · 可容纳 " + p.attributes.capacity + " 人" : "")));
      return box;
    });
    return marker;
  }

  // Today's patrols (巡查) as lines: running ones green, ended ones blue.
  function patrolStyle(f) {
    var running = (f.properties || {}).state === "active";
    return { color: running ? "#2e7d32" : "#1f5fa8", weight: 4, opacity: 0.85 };
  }

  function bindPatrol(f, layer) {
    var p = f.properties || {};
    layer.bindTooltip(function () {
      var box = el("div", null, "sx-tip");
      box.appendChild(el("strong", "巡查 · " + p.user_name));
      box.appendChild(el("div", (p.unit_name || "") + " " + shortTime(p.started_at) +
        (p.ended_at ? " – " + shortTime(p.ended_at) : "（巡查中）")));
      box.appendChild(el("div", (p.distance_m / 1000).toFixed(2) + " 公里，覆盖 " +
        p.grid_codes.length + " 个网格"));
      return box;
    }, { sticky: true });
  }

  function showEmergencyLayers(on) {
    // In emergency operation hazard points and shelters matter: put them on the map.
    var s = ensureState();
    ["hazards", "shelters"].forEach(function (key) {
      var layer = global[s.layers[key]];
      if (!layer) return;
      if (on && !s.map.hasLayer(layer)) s.map.addLayer(layer);
    });
  }

  // --- boundaries --------------------------------------------------------------------------------

  function areaStyle(f) {
    var s = ensureState();
    var style = S.areaStyle(f);
    var selected = s.filters.area && f.properties && f.properties.code === s.filters.area;
    if (selected) {
      return { color: "#ffb000", weight: 3, fillColor: "#ffb000", fillOpacity: 0.12 };
    }
    return style;
  }

  function bindArea(f, layer) {
    S.bindArea(f, layer);
  }

  // Names on the map, one level at a time as the officer zooms: townships when the county is
  // in view, villages closer, grids closest (only for areas in view, only if the layer is on).
  var LABEL_LEVELS = [[0, 11, "township"], [12, 13, "village"], [14, 22, "grid"]];

  function refreshLabels() {
    // Deferred, so that it never delays drawing the events of the new view.
    var s = ensureState();
    clearTimeout(s.labelTimer);
    s.labelTimer = setTimeout(drawLabels, 80);
  }

  function drawLabels() {
    var s = ensureState();
    var map = s.map;
    var shown = s.labels || (s.labels = {});
    var zoom = map.getZoom();
    var level = null;
    LABEL_LEVELS.forEach(function (r) { if (zoom >= r[0] && zoom <= r[1]) level = r[2]; });
    var layer = level && global[s.layers[level]];
    var wanted = {};
    if (layer && map.hasLayer(layer._container || layer)) {
      var bounds = map.getBounds().pad(0.1);
      var count = 0;
      (layer._container || layer).eachLayer(function (area) {
        var p = area.feature && area.feature.properties;
        if (!p || !p.label || count >= 400) return;
        var at = L.latLng(p.label[1], p.label[0]);
        if (!bounds.contains(at)) return;
        var key = level + ":" + p.code;
        wanted[key] = true;
        count += 1;
        if (shown[key]) return;  // kept from the last view: no new DOM
        var text = el("span", level === "grid" ?
          p.name.replace(/^.*?(第\d+网格)$/, "$1") : p.name);
        shown[key] = L.tooltip({ permanent: true, direction: "center", interactive: false,
                                 className: "sx-label sx-label-" + level })
          .setLatLng(at).setContent(text);
        map.addLayer(shown[key]);
      });
    }
    Object.keys(shown).forEach(function (key) {
      if (!wanted[key]) { map.removeLayer(shown[key]); delete shown[key]; }
    });
  }

  // --- panels ------------------------------------------------------------------------------------

  function refreshPanels() {
    var q = query();
    api("/screen/summary?" + q).then(renderSummary, function () {});
    api("/screen/lists?" + q).then(renderLists, function () {});
  }

  function renderSummary(data) {
    var tiles = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(tiles, function (tile) {
      var value = data.today[tile.dataset.figure];
      tile.querySelector("b").textContent = value === undefined ? "-" : value;
    });
    $("sx-total").textContent = "共 " + data.total + " 件";
    if (!global.echarts) return;
    var s = ensureState();
    chart("category", {
      grid: { left: 70, right: 30, top: 6, bottom: 6 },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", inverse: true, axisLabel: { color: "#cfe3ff" },
               data: data.by_category.slice(0, 8).map(function (c) { return c.name; }) },
      series: [{ type: "bar", data: data.by_category.slice(0, 8).map(function (c) {
        return c.count; }), itemStyle: { color: "#4ea1ff" },
        label: { show: true, position: "right", color: "#fff" } }]
    });
    chart("platform", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["40%", "70%"], label: { color: "#cfe3ff" },
                 data: data.by_platform.map(function (p) { return { name: p.name,
                   value: p.count }; }) }]
    });
    chart("trend", {
      grid: { left: 36, right: 10, top: 24, bottom: 22 },
      legend: { data: ["受理", "办结"], textStyle: { color: "#cfe3ff" }, top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.days, axisLabel: { color: "#9fb6d6" } },
      yAxis: { type: "value", axisLabel: { color: "#9fb6d6" },
               splitLine: { lineStyle: { color: "#23395b" } } },
      series: [
        { name: "受理", type: "line", smooth: true, data: data.trend.received,
          itemStyle: { color: "#f28e2b" } },
        { name: "办结", type: "line", smooth: true, data: data.trend.closed,
          itemStyle: { color: "#59a14f" } }
      ]
    });
    s.summary = data;
  }

  function chart(name, option) {
    var s = ensureState();
    var node = $("sx-chart-" + name);
    if (!node) return;
    if (!s.charts[name]) s.charts[name] = global.echarts.init(node, null, { renderer: "canvas" });
    s.charts[name].setOption(option, { notMerge: false, lazyUpdate: true });
  }

  function renderLists(data) {
    fillList("newest", data.newest, function (e) { return shortTime(e.created_at); });
    fillList("late", data.late, function (e) {
      return (e.overdue ? "已超期 " : "将超期 ") + shortTime(e.handle_due);
    });
    var box = $("sx-list-supervision");
    box.textContent = "";
    data.supervision.forEach(function (o) {
      var item = el("li", null, "sx-item sx-level-" + (o.level || "auto"));
      item.appendChild(el("span", o.level === "red" ? "红色督办" : "黄色督办", "sx-chip"));
      item.appendChild(el("strong", o.title));
      item.appendChild(el("small", o.unit + " · 回复时限 " + shortTime(o.reply_due)));
      item.addEventListener("click", function () { openCard(o.event_id); });
      box.appendChild(item);
    });
    if (!data.supervision.length) box.appendChild(el("li", "暂无待回复的督办单", "sx-empty"));
  }

  function fillList(name, items, sub) {
    var box = $("sx-list-" + name);
    box.textContent = "";
    items.forEach(function (e) {
      var key = e.overdue ? "overdue" : (e.at_risk ? "at_risk" : e.status);
      var item = el("li", null, "sx-item");
      item.dataset.eventId = e.id;
      var chip = el("span", label(key), "sx-chip");
      chip.style.background = color(key);
      item.appendChild(chip);
      item.appendChild(el("strong", e.title));
      item.appendChild(el("small", e.category_name + " · " + sub(e)));
      item.addEventListener("click", function () { openCard(e.id); });
      box.appendChild(item);
    });
    if (!items.length) box.appendChild(el("li", "暂无", "sx-empty"));
  }

  // --- the event card ----------------------------------------------------------------------------

  function openCard(id) {
    var s = ensureState();
    s.cardId = id;
    var ticket = s.cardTicket = (s.cardTicket || 0) + 1;
    Promise.all([api("/events/" + id), api("/events/" + id + "/timeline"),
                 api("/events/" + id + "/attachments")])
      .then(function (parts) {
        if (ticket !== s.cardTicket) return;  // a later card was asked for meanwhile
        renderCard(parts[0], parts[1], parts[2]);
      }, function (error) { toast(explain(error), "error"); });
  }

  function refreshCard() {
    // Live updates refresh the open card, but never under an officer filling in a form.
    var s = ensureState();
    var card = $("sx-card");
    if (s.cardId && !card.hidden && !card.querySelector("form")) openCard(s.cardId);
  }

  function renderCard(event, timeline, photos) {
    var s = ensureState();
    var card = $("sx-card");
    card.textContent = "";
    card.hidden = false;
    card.dataset.eventId = event.id;
    var head = el("div", null, "sx-card-head");
    var key = event.overdue ? "overdue" : (event.at_risk ? "at_risk" : event.status);
    var badge = el("span", label(key), "sx-chip");
    badge.style.background = color(key);
    head.appendChild(badge);
    head.appendChild(el("h3", event.title, "sx-card-title"));
    var review = el("a", "复盘", "sx-card-review");
    review.href = "/review/event/" + event.id;
    review.target = "_blank";
    head.appendChild(review);
    var close = el("button", "×", "sx-close");
    close.type = "button";
    close.title = "关闭";
    close.addEventListener("click", function () { card.hidden = true; s.cardId = null; });
    head.appendChild(close);
    card.appendChild(head);
    if (event.description) card.appendChild(el("p", event.description, "sx-card-desc"));
    var dl = el("dl", null, "sx-facts");
    function row(label, value) {
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(el("dt", label));
      dl.appendChild(el("dd", value));
    }
    var r = event.routing || {};
    row("编号", event.id);
    row("分类", event.category.name + "（" + event.category.code + "）");
    row("来源", S.SOURCE[event.source] || event.source);
    row("上报时间", shortTime(event.created_at));
    row("地址", event.address);
    row("网格", r.grid_name ? r.grid_name + "（" + r.grid_code + "）" : r.grid_code);
    row("村社区", r.village_name || r.village_code);
    row("乡镇", r.township_name || r.township_code);
    row("定位", (S.ROUTING[r.method] || r.method) +
        (r.method === "nearest" && r.distance_m != null ? "，距 " + r.distance_m + " 米" : ""));
    row("办理时限", event.handle_due ? shortTime(event.handle_due) : "");
    card.appendChild(dl);
    if (event.tasks && event.tasks.length) {
      card.appendChild(el("h4", "承办单位"));
      var tasks = el("ul", null, "sx-tasks");
      event.tasks.forEach(function (t) {
        var item = el("li", (t.role === "lead" ? "主办 " : "协办 ") + t.unit_name + " · " +
          (TASK_STATES[t.state] || t.state) + " · 时限 " + shortTime(t.handle_due) +
          (t.overdue ? " · 已超期" : ""));
        if (t.overdue) item.className = "sx-late";
        tasks.appendChild(item);
      });
      card.appendChild(tasks);
    }
    if (photos.length) {
      var gallery = el("div", null, "sx-photos");
      photos.forEach(function (p) {
        var img = el("img");
        img.src = p.url;
        img.alt = p.kind === "before" ? "处置前" : "处置后";
        img.loading = "lazy";
        gallery.appendChild(img);
      });
      card.appendChild(gallery);
    }
    card.appendChild(actionBar(event));
    card.appendChild(el("h4", "办理过程"));
    var list = el("ol", null, "sx-timeline");
    timeline.forEach(function (t) {
      var item = el("li");
      item.appendChild(el("time", shortTime(t.at)));
      item.appendChild(el("b", actionLabel(t.action)));
      item.appendChild(el("span", " " + t.actor + (t.unit_name ? "（" + t.unit_name + "）" : "")));
      if (t.comment) item.appendChild(el("div", t.comment, "sx-comment"));
      list.appendChild(item);
    });
    card.appendChild(list);
  }

  function actionBar(event) {
    var bar = el("div", null, "sx-actions");
    var offered = (ensureState().cfg.screen_actions || []).filter(function (a) {
      return event.allowed_actions.indexOf(a) >= 0;
    });
    if (!offered.length) {
      bar.appendChild(el("small", "当前无可操作项", "sx-muted"));
      return bar;
    }
    offered.forEach(function (action) {
      var button = el("button", actionLabel(action), "sx-action sx-action-" + action);
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", function () { startAction(event, action, bar); });
      bar.appendChild(button);
    });
    return bar;
  }

  function startAction(event, action, bar) {
    var form = el("form", null, "sx-action-form");
    form.dataset.action = action;
    var body = { version: event.version };
    function field(label, node) {
      var wrap = el("label", label);
      wrap.appendChild(node);
      form.appendChild(wrap);
      return node;
    }
    var inputs = {};
    if (action === "assign") {
      var select = el("select");
      select.name = "lead_unit";
      select.appendChild(new Option("默认（按分类平台）", ""));
      field("主办单位", select);
      inputs.lead = select;
      api("/units?township=" + encodeURIComponent((event.routing || {}).township_code || ""))
        .then(function (units) {
          units.filter(function (u) { return u.kind === "platform" || u.kind === "department"; })
            .forEach(function (u) { select.appendChild(new Option(u.name, u.code)); });
        }, function () {});
    }
    if (action === "verify") {
      var pass = el("select");
      pass.name = "passed";
      pass.appendChild(new Option("通过，结案", "true"));
      pass.appendChild(new Option("不通过，返工", "false"));
      field("核查结果", pass);
      inputs.passed = pass;
    }
    if (action === "supervise") {
      var level = el("select");
      level.name = "level";
      level.appendChild(new Option("黄色督办", "yellow"));
      level.appendChild(new Option("红色督办", "red"));
      field("等级", level);
      inputs.level = level;
    }
    var note = el("input");
    note.name = "comment";
    note.placeholder = action === "supervise" ? "督办要求（必填）" : "意见（可选）";
    field(action === "supervise" ? "督办要求" : "意见", note);
    var submit = el("button", "确定" + actionLabel(action), "sx-action");
    submit.type = "submit";
    form.appendChild(submit);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (action === "assign" && inputs.lead.value) body.lead_unit = inputs.lead.value;
      if (action === "verify") body.passed = inputs.passed.value === "true";
      if (action === "supervise") { body.level = inputs.level.value; body.message = note.value; }
      else if (note.value) body.comment = note.value;
      submit.disabled = true;
      api("/events/" + event.id + "/actions/" + action, { method: "POST", body: body })
        .then(function () {
          toast(actionLabel(action) + "成功", "ok");
          openCard(event.id);
          refreshAll();
        }, function (error) {
          submit.disabled = false;
          toast(explain(error), "error");
          if (error.data && error.data.error === "stale_version") openCard(event.id);
        });
    });
    bar.textContent = "";
    bar.appendChild(form);
  }

  // --- live updates ------------------------------------------------------------------------------

  function poll() {
    var s = ensureState();
    api("/screen/changes?" + query({ since: Math.max(0, s.cursor - 2000) })).then(function (d) {
      var first = s.cursor === 0;
      s.cursor = d.cursor;
      if (!first && d.changed > 0) {
        refreshPanels();
        if (s.cardId && d.ids.indexOf(s.cardId) >= 0) refreshCard();
      }
    }, function () {}).then(function () {
      setTimeout(poll, s.cfg.poll_ms);
    });
  }

  function refreshEvents() {
    var s = ensureState();
    var layer = global[s.layers.events];
    if (layer && layer.update) layer.update();
    if (s.heat && s.map.hasLayer(s.heat)) refreshHeat();
  }

  function refreshAll() {
    refreshPanels();
    refreshEvents();
  }

  // --- filters, search, clock, mode --------------------------------------------------------------

  function bindFilters() {
    var s = ensureState();
    var form = $("sx-filters");
    ["range", "status", "category", "platform", "area"].forEach(function (name) {
      var field = form.elements[name];
      if (field) field.value = s.filters[name] || field.value;
    });
    form.addEventListener("change", function () {
      ["range", "status", "category", "platform", "area"].forEach(function (name) {
        s.filters[name] = form.elements[name].value;
      });
      var url = global.location.pathname + "?" + query();
      global.history.replaceState(null, "", url);
      restyleAreas();
      refreshAll();
    });
    api("/categories").then(function (cats) {
      var platforms = {};
      cats.forEach(function (c) {
        if (!c.parent_code) {
          form.elements.category.appendChild(new Option(c.name, c.code));
        }
        if (c.platform) platforms[c.platform.code] = c.platform.name;
      });
      Object.keys(platforms).forEach(function (code) {
        form.elements.platform.appendChild(new Option(platforms[code], code));
      });
      form.elements.category.value = s.filters.category;
      form.elements.platform.value = s.filters.platform;
    }, function () {});
    var areaPath = "/boundaries?level=" + (s.cfg.township_code ? "village&parent=" +
      encodeURIComponent(s.cfg.township_code) : "township");
    fetch(s.cfg.api_prefix + areaPath, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        (fc.features || []).forEach(function (f) {
          form.elements.area.appendChild(new Option(f.properties.name, f.properties.code));
        });
        if (s.cfg.area && !fc.features.some(function (f) {
          return f.properties.code === s.cfg.area.code; })) {
          form.elements.area.appendChild(new Option(s.cfg.area.name, s.cfg.area.code));
        }
        form.elements.area.value = s.filters.area;
      }, function () {});
  }

  function restyleAreas() {
    var s = ensureState();
    ["township", "village", "grid"].forEach(function (level) {
      var layer = global[s.layers[level]];
      if (layer && layer._container && layer._container.setStyle) {
        layer._container.setStyle(areaStyle);
      }
    });
  }

  function bindSearch() {
    var input = $("sx-search");
    var results = $("sx-search-results");
    var timer = null;
    function run() {
      var q = input.value.trim();
      if (!q) { results.hidden = true; return; }
      api("/screen/search?q=" + encodeURIComponent(q)).then(function (data) {
        results.textContent = "";
        data.events.forEach(function (e) {
          var item = el("button", "#" + e.id + " " + e.title, "sx-result");
          item.type = "button";
          item.addEventListener("click", function () {
            results.hidden = true;
            if (e.lon != null) ensureState().map.setView([e.lat, e.lon], 16);
            openCard(e.id);
          });
          results.appendChild(item);
        });
        data.areas.forEach(function (a) {
          var item = el("button", a.name + "（" + a.code + "）", "sx-result sx-result-area");
          item.type = "button";
          item.addEventListener("click", function () {
            results.hidden = true;
            ensureState().map.fitBounds([[a.bbox[1], a.bbox[0]], [a.bbox[3], a.bbox[2]]]);
          });
          results.appendChild(item);
        });
        if (!data.events.length && !data.areas.length) {
          results.appendChild(el("div", "没有找到", "sx-empty"));
        }
        results.hidden = false;
      }, function (error) { toast(explain(error), "error"); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") run(); });
  }

  function tickClock() {
    var now = new Date();
    $("sx-clock").textContent = now.toLocaleString("zh-CN", {
      timeZone: S.timeZone(), year: "numeric", month: "2-digit", day: "2-digit",
      weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
    });
  }

  function showMode() {
    var s = ensureState();
    if (!s.cfg.township_code) return;
    api("/mode?township=" + encodeURIComponent(s.cfg.township_code)).then(function (mode) {
      var badge = $("sx-mode");
      var banner = $("sx-emergency");
      if (mode.mode === "emergency") {
        badge.textContent = "战时 · " + mode.level + "级响应";
        badge.className = "sx-mode sx-mode-war";
        banner.textContent = "战时状态 · " + mode.level + "级响应：" + (mode.reason || "") +
          "（" + shortTime(mode.since) + " 起）";
        banner.hidden = false;
        document.body.classList.add("sx-war");
        showEmergencyLayers(true);
      } else {
        badge.textContent = "平时";
        badge.className = "sx-mode sx-mode-peace";
        banner.hidden = true;
        document.body.classList.remove("sx-war");
      }
    }, function () {});
  }

  // --- map interactions: click to route, draw to count, heat ------------------------------------

  function bindMap() {
    var s = ensureState();
    var map = s.map;
    map.on("draw:drawstart", function () { s.drawing = true; });
    map.on("draw:drawstop", function () { setTimeout(function () { s.drawing = false; }, 300); });
    map.on("click", function (e) {
      if (s.drawing) return;
      var ll = e.latlng;
      api("/route?lon=" + ll.lng.toFixed(6) + "&lat=" + ll.lat.toFixed(6)).then(function (r) {
        var box = el("div", null, "sx-where");
        box.appendChild(el("strong", r.grid ? r.grid.name : "不在任何网格内"));
        if (r.village) box.appendChild(el("div", "村社区：" + r.village.name));
        if (r.township) box.appendChild(el("div", "乡镇：" + r.township.name));
        if (r.method === "nearest") box.appendChild(el("div", "距网格 " + r.distance_m + " 米"));
        box.appendChild(el("small", ll.lng.toFixed(5) + ", " + ll.lat.toFixed(5)));
        L.popup().setLatLng(ll).setContent(box).openOn(map);
      }, function (error) {
        L.popup().setLatLng(ll).setContent(el("div", explain(error))).openOn(map);
      });
    });
    map.on("draw:created", function (e) {
      var drawn = global[s.layers.drawn];
      if (drawn) { drawn.clearLayers(); drawn.addLayer(e.layer); }  // one shape at a time
      var body = { range: s.filters.range, status: s.filters.status ? [s.filters.status] : [],
                   category: s.filters.category || null, platform: s.filters.platform || null,
                   area: s.filters.area || null };
      if (e.layerType === "circle") {
        var c = e.layer.getLatLng();
        body.circle = { lon: c.lng, lat: c.lat, radius_m: e.layer.getRadius() };
      } else {
        body.geometry = e.layer.toGeoJSON().geometry;
      }
      api("/screen/within", { method: "POST", body: body }).then(renderDrawn, function (error) {
        toast(explain(error), "error");
      });
    });
    map.on("moveend", function () { refreshEvents(); refreshLabels(); });
    map.on("overlayadd overlayremove", refreshLabels);
    setTimeout(refreshLabels, 1500);  // once the boundaries have arrived
    s.heat = L.heatLayer([], { radius: 18, blur: 15, maxZoom: 16 });
    var control = global[s.layers.control];
    if (control) control.addOverlay(s.heat, "热力图");
    map.on("overlayadd", function (e) { if (e.layer === s.heat) refreshHeat(); });
  }

  function refreshHeat() {
    var s = ensureState();
    var b = s.map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(5); }).join(",");
    api("/screen/heat?" + query({ bbox: bbox, zoom: s.map.getZoom() })).then(function (d) {
      s.heat.setOptions({ max: d.max });
      s.heat.setLatLngs(d.points);
    }, function () {});
  }

  function renderDrawn(data) {
    var box = $("sx-drawn");
    box.textContent = "";
    box.hidden = false;
    var head = el("h3", "圈选范围内事件：");
    head.appendChild(el("b", String(data.count), "sx-drawn-count"));
    box.appendChild(head);
    var breakdown = el("div", null, "sx-breakdown");
    Object.keys(data.by_status).forEach(function (k) {
      breakdown.appendChild(el("span", label(k) + " " + data.by_status[k], "sx-chip"));
    });
    box.appendChild(breakdown);
    var list = el("ol", null, "sx-list");
    data.events.slice(0, 20).forEach(function (e) {
      var item = el("li", null, "sx-item");
      item.appendChild(el("strong", e.title));
      item.appendChild(el("small", e.category_name + " · " + shortTime(e.created_at)));
      item.addEventListener("click", function () { openCard(e.id); });
      list.appendChild(item);
    });
    box.appendChild(list);
    var close = el("button", "清除圈选", "sx-action");
    close.type = "button";
    close.addEventListener("click", function () {
      box.hidden = true;
      var drawn = global[ensureState().layers.drawn];
      if (drawn) drawn.clearLayers();
    });
    box.appendChild(close);
  }

  function bindTabs() {
    var tabs = document.querySelectorAll(".sx-tabs button");
    Array.prototype.forEach.call(tabs, function (tab) {
      tab.addEventListener("click", function () {
        Array.prototype.forEach.call(tabs, function (t) { t.classList.remove("active"); });
        tab.classList.add("active");
        var lists = document.querySelectorAll("[data-list]");
        Array.prototype.forEach.call(lists, function (list) {
          list.hidden = list.dataset.list !== tab.dataset.tab;
        });
      });
    });
  }

  function localizeDraw() {
    if (!global.L || !L.drawLocal) return;
    var d = L.drawLocal.draw;
    d.toolbar.buttons.polygon = "画多边形统计事件";
    d.toolbar.buttons.rectangle = "画矩形统计事件";
    d.toolbar.buttons.circle = "画圆统计事件";
    d.toolbar.actions.text = "取消";
    d.toolbar.actions.title = "取消绘制";
    d.toolbar.finish.text = "完成";
    d.toolbar.finish.title = "完成绘制";
    d.toolbar.undo.text = "撤销上一点";
    d.toolbar.undo.title = "撤销最后一个点";
    d.handlers.polygon.tooltip.start = "点击开始画多边形";
    d.handlers.polygon.tooltip.cont = "继续点击";
    d.handlers.polygon.tooltip.end = "点击第一个点结束";
    d.handlers.rectangle.tooltip.start = "按住并拖动画矩形";
    d.handlers.circle.tooltip.start = "按住并拖动画圆";
    d.handlers.circle.radius = "半径";
    d.handlers.simpleshape.tooltip.end = "松开鼠标完成";
    L.drawLocal.edit.toolbar.buttons.remove = "清除圈选";
  }

  function start() {
    var s = ensureState();
    if (!s.map) return;
    localizeDraw();
    S.renderLegend("sx-screen-legend", ["reported", "assigned", "in_progress", "at_risk", "overdue",
                                 "handled", "closed", "escalated"]);
    bindFilters();
    bindSearch();
    bindTabs();
    bindMap();
    tickClock();
    setInterval(tickClock, 1000);
    api("/me").then(function (me) {
      $("sx-user").textContent = me.display_name + (me.unit ? " · " + me.unit.name : "");
    }, function () {});
    showMode();
    setInterval(showMode, 60000);
    refreshPanels();
    poll();
    global.addEventListener("resize", function () {
      Object.keys(s.charts).forEach(function (k) { s.charts[k].resize(); });
    });
    if (s.cfg.area) restyleAreas();
  }

  document.addEventListener("DOMContentLoaded", start);

  global.Shuxin.screen = {
    fetchEvents: fetchEvents, eventLayer: eventLayer, poiLayer: poiLayer, updateEvent: updateEvent,
    bindEvent: bindEvent, areaStyle: areaStyle, bindArea: bindArea, openCard: openCard,
    patrolStyle: patrolStyle, bindPatrol: bindPatrol,
    refreshAll: refreshAll, state: function () { return state; }
  };
})(window);

/* Shuxin map helpers: colours, labels and safe popups. Every text from the data goes through
   textContent, never innerHTML, so a title such as <script>…</script> stays text. */
(function (global) {
  "use strict";

  // One colour and one word per state, for every map and list; at_risk and overdue are the
  // deadline's states of an open event.
  var STATUS = {
    reported: { label: "待受理", color: "#f28e2b" },
    accepted: { label: "已受理", color: "#f6b26b" },
    assigned: { label: "已交办", color: "#4e79a7" },
    acknowledged: { label: "已签收", color: "#76b7e5" },
    in_progress: { label: "处置中", color: "#8e6fd1" },
    handled: { label: "已处置", color: "#59a14f" },
    closed: { label: "已结案", color: "#8cd17d" },
    rejected: { label: "不予受理", color: "#9d9d9d" },
    returned: { label: "已退回", color: "#e15759" },
    escalated: { label: "已上报县级", color: "#b3001b" },
    at_risk: { label: "即将超期", color: "#edc948" },
    overdue: { label: "已超期", color: "#e8222d" }
  };
  var ROUTING = {
    inside: "网格内", border: "网格交界（取最小编码）", nearest: "网格外就近",
    unrouted: "未能定位到网格（待人工）", invalid: "坐标无效"
  };
  var SOURCE = {
    grid_worker: "网格员上报", citizen: "群众上报", hotline: "12345热线", county: "上级交办",
    department: "部门推送", sensor: "感知设备"
  };
  var LEVEL_STYLE = {
    county: { color: "#08306b", weight: 3, fill: false },
    township: { color: "#08519c", weight: 2.5, fill: false },
    village: { color: "#4292c6", weight: 1.5, fill: false, dashArray: "4 3" },
    grid: { color: "#6baed6", weight: 1, fillColor: "#c6dbef", fillOpacity: 0.08 }
  };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(dl, label, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", label));
    dl.appendChild(el("dd", value));
  }

  // The server's one time zone (SHUXIN_TIMEZONE), from the page: times read as they do there.
  function timeZone() {
    var meta = document.querySelector('meta[name="shuxin-timezone"]');
    return meta ? meta.content : undefined;
  }

  function formatTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString("zh-CN", { timeZone: timeZone(), hour12: false });
  }

  function statusOf(p) { return STATUS[p.status] || { label: p.status, color: "#555" }; }

  function eventPopup(feature) {
    var p = feature.properties || {};
    var box = el("div", null, "sx-popup");
    var head = el("div", null, "sx-popup-head");
    var badge = el("span", statusOf(p).label, "sx-badge");
    badge.style.background = statusOf(p).color;
    head.appendChild(badge);
    head.appendChild(el("strong", p.title, "sx-popup-title"));
    box.appendChild(head);
    if (p.description) box.appendChild(el("p", p.description, "sx-popup-desc"));
    var dl = el("dl", null, "sx-popup-facts");
    row(dl, "编号", p.id);
    row(dl, "分类", p.category ? p.category.name + "（" + p.category.code + "）" : "");
    row(dl, "来源", SOURCE[p.source] || p.source);
    row(dl, "地址", p.address);
    var r = p.routing || {};
    function area(name, code) { return code ? (name ? name + "（" + code + "）" : code) : ""; }
    row(dl, "网格", area(r.grid_name, r.grid_code));
    row(dl, "村社区", area(r.village_name, r.village_code));
    row(dl, "乡镇", area(r.township_name, r.township_code));
    row(dl, "定位方式", (ROUTING[r.method] || r.method) +
        (r.method === "nearest" && r.distance_m != null ? "，距 " + r.distance_m + " 米" : ""));
    row(dl, "上报时间", formatTime(p.created_at));
    box.appendChild(dl);
    return box;
  }

  function areaTooltip(feature) {
    var p = feature.properties || {};
    var box = el("div", null, "sx-tip");
    box.appendChild(el("strong", p.name));
    box.appendChild(el("span", " " + p.code));
    return box;
  }

  function eventMarker(feature, latlng) {
    var s = statusOf(feature.properties || {});
    return L.circleMarker(latlng, {
      radius: 6, color: "#fff", weight: 1.5, fillColor: s.color, fillOpacity: 0.9
    });
  }

  function bindEvent(feature, layer) {
    layer.bindPopup(function () { return eventPopup(feature); }, { maxWidth: 360 });
  }

  function bindArea(feature, layer) {
    layer.bindTooltip(areaTooltip(feature), { sticky: true, direction: "top" });
  }

  function areaStyle(feature) {
    return LEVEL_STYLE[(feature.properties || {}).level] || LEVEL_STYLE.grid;
  }

  function renderLegend(id, keys) {
    var box = document.getElementById(id);
    if (!box || box.dataset.filled) return;
    box.dataset.filled = "1";
    (keys || ["reported", "accepted", "assigned", "acknowledged", "in_progress", "handled",
              "closed", "escalated", "rejected"]).forEach(function (key) {
      var line = el("div");
      var dot = el("i");
      dot.style.background = STATUS[key].color;
      line.appendChild(dot);
      line.appendChild(document.createTextNode(STATUS[key].label));
      box.appendChild(line);
    });
  }

  // Sign-in tokens last half an hour: while a page is open, renew its cookie every ten minutes
  // (the server ends the session after SHUXIN_SESSION_MAX_HOURS, or at once on sign-out).
  var RENEW_MS = 10 * 60 * 1000;

  function renewSignIn() {
    fetch("/api/v1/auth/refresh", {
      method: "POST", credentials: "same-origin", headers: { "X-Requested-With": "shuxin" }
    }).then(function (response) {
      if (response.status === 401) {
        global.location.href = "/login?next=" +
          encodeURIComponent(global.location.pathname + global.location.search);
      }
    }).catch(function () { /* offline for a moment: the next renewal tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderLegend("sx-legend");
    global.setInterval(renewSignIn, RENEW_MS);
  });

  global.Shuxin = {
    STATUS: STATUS, ROUTING: ROUTING, SOURCE: SOURCE, LEVEL_STYLE: LEVEL_STYLE,
    el: el, formatTime: formatTime, timeZone: timeZone, eventPopup: eventPopup, areaTooltip: areaTooltip,
    renderLegend: renderLegend, eventMarker: eventMarker, bindEvent: bindEvent, bindArea: bindArea, areaStyle: areaStyle
  };
})(window);

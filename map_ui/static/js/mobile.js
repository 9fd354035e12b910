/* The phone page (/m, 网格通): report (上报), my tasks (待办), patrol (巡查), and what waits to be
   sent (发送). Written for one hand, outdoors and a weak signal:
   - a report is first stored on the phone (IndexedDB, with its photos), with an id made here
     (external_id), then sent in order, exactly once (the server stores a source + external_id
     once; a photo is looked up by its name before it is sent again);
   - what is typed is kept as it is typed, so closing the page or restarting the phone loses
     nothing; an ended sign-in only pauses the sending until the next sign-in;
   - the task actions, their words and their forms come from the server's one action table
     (the page's config); every refusal is said in plain words.
   Every text from the data is set with textContent, never innerHTML. */
(function (global) {
  "use strict";

  var S = global.Shuxin;
  var store = S.store;
  var doc = global.document;
  var cfg = null;
  var state = {
    tab: null,
    online: global.navigator.onLine,
    signInEnded: false,
    flushing: false,
    flushAgain: false,
    photos: [],          // the report's photos: {blob, url}
    loc: null,           // {lat, lon, accuracy, manual}
    lastFix: null,
    map: null,
    marker: null,
    gridLayer: null,
    gridBox: null,
    routeTimer: null,
    category: null,
    addressAuto: "",
    tasks: [],
    orders: [],
    periods: [],
    seenTasks: null,
    patrol: null,
    patrolTimer: null,
    patrolWatch: null,
    wakeLock: null,
    syncing: false
  };

  // --- small helpers -----------------------------------------------------------------------------

  function $(id) { return doc.getElementById(id); }
  function el(tag, text, className) { return S.el(tag, text, className); }

  function toast(message, kind) {
    var box = $("m-toast");
    box.textContent = message;
    box.className = "m-toast" + (kind ? " m-toast-" + kind : "");
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 4500);
  }

  function banner(message, action) {
    var box = $("m-banner");
    box.textContent = "";
    if (!message) { box.hidden = true; return; }
    box.appendChild(el("span", message));
    if (action) {
      var button = el("button", action.label, "m-button m-small");
      button.type = "button";
      button.addEventListener("click", action.run);
      box.appendChild(button);
    }
    box.hidden = false;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function shortTime(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString("zh-CN", {
      timeZone: S.timeZone(), month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hour12: false
    });
  }

  function metres(m) {
    return m >= 1000 ? (m / 1000).toFixed(2) + " 公里" : Math.round(m) + " 米";
  }

  function newId(prefix) {
    var random = Math.random().toString(36).slice(2, 8);
    return prefix + "-" + cfg.user.login + "-" + Date.now().toString(36) + "-" + random;
  }

  function haversine(a, b) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a.lat * rad) *
      Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }

  // --- talking to the server ---------------------------------------------------------------------

  // Resolves with the answer's JSON; rejects with {offline: true} when there is no signal (or no
  // answer in time), or {status, data} when the server refused.
  function api(path, options) {
    options = options || {};
    var headers = { "X-Requested-With": "shuxin" };
    var body = options.body;
    if (body && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    var controller = global.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); },
      options.timeoutMs || 20000);
    return fetch(cfg.api_prefix + path, {
      method: options.method || "GET", headers: headers, body: body,
      credentials: "same-origin", signal: controller ? controller.signal : undefined
    }).then(function (response) {
      clearTimeout(timer);
      setOnline(true);
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          if (response.status === 401) signInEnded();
          throw { status: response.status, data: data || {} };
        }
        return data;
      });
    }, function () {
      clearTimeout(timer);
      throw { offline: true };
    });
  }

  function statusWord(key) { return (S.STATUS[key] || { label: key }).label; }
  function actionWord(key) { return (cfg.action_labels || {})[key] || key; }
  function taskWord(key) { return (cfg.task_states || {})[key] || key; }

  // A refusal in plain words: what happened and what to do.
  function words(error, action, titles) {
    if (!error || error.offline) return "无信号或网络太慢，请到信号好的地方再试";
    var d = error.data || {};
    var doing = action ? "「" + actionWord(action) + "」" : "这样操作";
    var mb = (cfg.upload_max_bytes / 1048576).toFixed(0);
    switch (error.status) {
      case 401: return "登录已过期，请重新登录";
      case 403:
        if (d.error === "password_change_required") return "请先修改初始密码后再使用";
        if (d.field === "unit") return "这项任务不归您的单位办理，不能" + doing;
        if (d.field === "role") return "您的账号不能" + doing + "，请联系指挥室";
        return "没有权限" + doing;
      case 404: return "找不到这个事件，或它已不归您办理（可能已被改派）";
      case 409:
        if (d.error === "stale_version") {
          return "这个事件刚被别人更新了（现在是「" + statusWord(d.status) + "」），" +
            "已为您刷新，请看清后再操作";
        }
        var now = d.task_state ? "您单位的任务现在是「" + taskWord(d.task_state) + "」"
          : "事件现在是「" + statusWord(d.status) + "」";
        var can = (d.allowed_actions || []).map(actionWord).join("、");
        return now + "，不能" + doing + (can ? "。现在可以：" + can : "");
      case 413: return "照片太大（每张不能超过 " + mb + " MB）";
      case 422:
        if (d.field === "file") return "照片无法识别，只能上传 JPG、PNG 或 WebP 照片";
        if (d.field === "new_due" || d.field === "extra") {
          return "请填写「新期限」或「再要多少时间」其中一项，且要晚于现在的期限";
        }
        var name = (d.field || "").split(".")[0];
        var title = (titles && titles[name]) || FIELD_WORDS[name];
        return title ? "「" + title + "」没有填或填得不对，请检查" : "填写的内容有误，请检查";
      case 429: return "操作太频繁，请稍后再试";
      default: return "服务器暂时出错（" + error.status + "），请稍后再试";
    }
  }

  var FIELD_WORDS = {
    title: "标题", description: "描述", category_code: "分类", lon: "位置", lat: "位置",
    address: "地址", urgency: "紧急程度", version: "事件版本"
  };

  // --- signal and sign-in ------------------------------------------------------------------------

  function setOnline(on) {
    state.online = on;
    var box = $("m-net");
    box.textContent = on ? "在线" : "无信号";
    box.className = "m-net" + (on ? "" : " m-net-off");
  }

  function signInEnded() {
    if (state.signInEnded) return;
    state.signInEnded = true;
    store.all("outbox").then(function (items) {
      var waiting = items.filter(function (i) { return i.state !== "sent"; }).length;
      banner("登录已过期。" + (waiting ? waiting + " 条上报保存在手机上，重新登录后自动发送。" : ""),
        { label: "重新登录", run: function () { global.location.href = "/login?next=/m"; } });
      renderOutbox();
    });
  }

  function secureContextNote() {
    if (global.isSecureContext) return;
    banner("本页不是通过 HTTPS 打开的：手机不能定位，也不能离线使用。请联系管理员启用 HTTPS。");
  }

  // --- tabs --------------------------------------------------------------------------------------

  function showTab(name) {
    state.tab = name;
    Array.prototype.forEach.call(doc.querySelectorAll(".m-tab"), function (tab) {
      tab.hidden = tab.dataset.tab !== name;
    });
    Array.prototype.forEach.call(doc.querySelectorAll(".m-nav button"), function (b) {
      b.classList.toggle("active", b.dataset.tab === name);
    });
    if (name === "report") ensureMap();
    if (name === "tasks") loadTasks();
    if (name === "patrol") loadPatrols();
    if (name === "outbox") renderOutbox();
    store.setValue("tab", name);
  }

  function badge(name, count) {
    var b = doc.querySelector('[data-badge="' + name + '"]');
    if (!b) return;
    b.textContent = count > 99 ? "99+" : String(count);
    b.hidden = !count;
  }

  // --- report: category ----------------------------------------------------------------------------

  function categoryByCode(code) {
    return cfg.categories.filter(function (c) { return c.code === code; })[0] || null;
  }

  function setCategory(code) {
    var category = categoryByCode(code);
    state.category = category;
    var button = $("m-category");
    button.textContent = category ? category.name + "（" + category.code + "）" : "请选择事件分类";
    button.classList.toggle("m-picked", !!category);
    $("m-urgent-box").hidden = !(category && category.urgent);
    var title = $("m-report").elements.title;
    if (category && !title.value) title.value = category.name;
  }

  function matches(category, q) {
    if (!q) return true;
    q = q.toLowerCase();
    return category.name.indexOf(q) >= 0 || category.code.indexOf(q) === 0 ||
      (category.initials || "").indexOf(q) >= 0;
  }

  function openCategories() {
    store.value("recent", []).then(function (recent) {
      var sheet = openSheet("选择分类");
      var search = el("input", null, "m-search");
      search.type = "search";
      search.placeholder = "搜索：名称或拼音首字母，如 垃圾 或 lj";
      search.setAttribute("aria-label", "搜索分类");
      sheet.body.appendChild(search);
      var list = el("div", null, "m-category-list");
      sheet.body.appendChild(list);
      function pick(code) {
        setCategory(code);
        recent = [code].concat(recent.filter(function (c) { return c !== code; })).slice(0, 6);
        store.setValue("recent", recent);
        saveDraft();
        closeSheet();
      }
      function option(c) {
        var b = el("button", c.name, "m-option");
        b.type = "button";
        b.dataset.code = c.code;
        b.appendChild(el("small", " " + c.code));
        b.addEventListener("click", function () { pick(c.code); });
        return b;
      }
      function draw() {
        var q = search.value.trim();
        list.textContent = "";
        var leaves = cfg.categories.filter(function (c) { return c.parent_code; });
        if (!q && recent.length) {
          list.appendChild(el("h4", "最近使用"));
          recent.map(categoryByCode).filter(Boolean).forEach(function (c) {
            list.appendChild(option(c));
          });
        }
        cfg.categories.filter(function (c) { return !c.parent_code; }).forEach(function (top) {
          var children = leaves.filter(function (c) {
            return c.parent_code === top.code && (matches(c, q) || matches(top, q));
          });
          if (!children.length) return;
          list.appendChild(el("h4", top.name));
          children.forEach(function (c) { list.appendChild(option(c)); });
        });
        if (!list.childNodes.length) list.appendChild(el("p", "没有找到“" + q + "”", "m-empty"));
      }
      search.addEventListener("input", draw);
      draw();
    });
  }

  // --- report: photos --------------------------------------------------------------------------------

  // A photo made smaller in the browser (canvas) before it is kept or sent: the long side at
  // most photo_max_px, JPEG. Refuses what is not an image or cannot be read.
  function resizePhoto(file) {
    if (file.type && !/^image\//.test(file.type)) {
      return Promise.reject(new Error("「" + file.name + "」不是照片，只能选择图片"));
    }
    if (file.size > 50 * 1048576) {
      return Promise.reject(new Error("「" + file.name + "」太大（超过 50 MB），请换一张"));
    }
    var decode = global.createImageBitmap
      ? global.createImageBitmap(file, { imageOrientation: "from-image" })
      : new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = URL.createObjectURL(file);
      });
    return decode.then(function (image) {
      var max = cfg.photo_max_px;
      var scale = Math.min(1, max / Math.max(image.width, image.height));
      var canvas = doc.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (!blob) reject(new Error("照片处理失败，请重试"));
          else if (blob.size > cfg.upload_max_bytes) reject(new Error("照片压缩后仍太大"));
          else resolve(blob);
        }, "image/jpeg", 0.82);
      });
    }, function () {
      throw new Error("「" + file.name + "」无法读取，只支持 JPG、PNG、WebP 等常见照片");
    });
  }

  function addPhotos(files, list, max, done) {
    var room = max - list.length;
    var chosen = Array.prototype.slice.call(files, 0, Math.max(0, room));
    if (files.length > room) toast("最多 " + max + " 张照片，多出的没有加入", "warn");
    return chosen.reduce(function (chain, file) {
      return chain.then(function () {
        return resizePhoto(file).then(function (blob) {
          list.push({ blob: blob, url: URL.createObjectURL(blob) });
        }, function (error) { toast(error.message, "error"); });
      });
    }, Promise.resolve()).then(done);
  }

  function drawPhotos(box, list, onChange) {
    box.textContent = "";
    list.forEach(function (photo, i) {
      var item = el("div", null, "m-photo");
      var img = el("img");
      img.src = photo.url || URL.createObjectURL(photo.blob);
      img.alt = "照片 " + (i + 1);
      item.appendChild(img);
      var remove = el("button", "×", "m-photo-remove");
      remove.type = "button";
      remove.setAttribute("aria-label", "删除照片 " + (i + 1));
      remove.addEventListener("click", function () { list.splice(i, 1); onChange(); });
      item.appendChild(remove);
      box.appendChild(item);
    });
  }

  function renderReportPhotos() {
    drawPhotos($("m-photos"), state.photos, function () { renderReportPhotos(); saveDraft(); });
    $("m-photo-count").textContent = state.photos.length + "/" + cfg.max_photos;
  }

  // --- report: where -------------------------------------------------------------------------------

  function ensureMap() {
    if (state.map || !global.L || !$("m-map")) return;
    var b = cfg.bounds;
    var center = state.loc ? [state.loc.lat, state.loc.lon]
      : b ? [(b[1] + b[3]) / 2, (b[0] + b[2]) / 2] : [30, 120];
    var map = L.map("m-map", { zoomControl: true, attributionControl: !!cfg.tiles.length })
      .setView(center, state.loc ? 17 : 13);
    cfg.tiles.forEach(function (t) {
      L.tileLayer(t.url, { attribution: t.attribution, subdomains: t.subdomains,
        maxZoom: t.max_zoom }).addTo(map);
    });
    var icon = L.divIcon({ className: "m-pin", html: "", iconSize: [28, 40], iconAnchor: [14, 40] });
    state.marker = L.marker(center, { draggable: true, icon: icon, keyboard: false,
      title: "拖动图钉标出事发位置" }).addTo(map);
    state.marker.on("dragend", function () {
      var p = state.marker.getLatLng();
      setLocation({ lat: p.lat, lon: p.lng, accuracy: null, manual: true });
      saveDraft();
    });
    state.gridLayer = L.geoJSON(null, {
      style: { color: "#4e79a7", weight: 1, fill: false, dashArray: "4 3" },
      interactive: false
    }).addTo(map);
    state.map = map;
    setTimeout(function () { map.invalidateSize(); }, 50);
  }

  function gpsLine(box, loc, error) {
    box.textContent = "";
    box.className = "m-gps";
    if (error) { box.classList.add("m-bad"); box.textContent = error; return; }
    if (!loc) { box.textContent = "正在定位…"; return; }
    if (loc.manual) {
      box.classList.add("m-good");
      box.textContent = "已手动标注位置（" + loc.lat.toFixed(5) + ", " + loc.lon.toFixed(5) + "）";
      return;
    }
    var a = Math.round(loc.accuracy);
    if (loc.accuracy > cfg.gps_max_accuracy_m) {
      box.classList.add("m-bad");
      box.textContent = "定位精度较差（±" + a + " 米）：请拖动地图上的图钉到事发位置";
    } else {
      box.classList.add(loc.accuracy > 30 ? "m-fair" : "m-good");
      box.textContent = "GPS 定位，精度 ±" + a + " 米";
    }
  }

  function gpsError(error) {
    if (!global.navigator.geolocation) return "这部手机的浏览器不能定位：请拖动图钉标出位置";
    switch (error && error.code) {
      case 1: return "没有定位权限：请在手机设置中允许本网页使用位置，或拖动图钉标出位置";
      case 3: return "定位超时（可能在室内或信号弱）：请到开阔处重试，或拖动图钉标出位置";
      default: return "暂时无法定位：请拖动地图上的图钉标出事发位置";
    }
  }

  function startGps() {
    if (!global.navigator.geolocation) { gpsLine($("m-gps"), null, gpsError(null)); return; }
    if (state.gpsWatch != null) global.navigator.geolocation.clearWatch(state.gpsWatch);
    state.gpsWatch = global.navigator.geolocation.watchPosition(function (pos) {
      state.lastFix = pos;
      if (state.loc && state.loc.manual) return;
      setLocation({ lat: pos.coords.latitude, lon: pos.coords.longitude,
        accuracy: pos.coords.accuracy, manual: false });
    }, function (error) {
      if (!state.loc || !state.loc.manual) gpsLine($("m-gps"), null, gpsError(error));
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  function setLocation(loc) {
    var first = !state.loc;
    state.loc = loc;
    gpsLine($("m-gps"), loc);
    if (state.map) {
      state.marker.setLatLng([loc.lat, loc.lon]);
      if (first || !loc.manual) state.map.setView([loc.lat, loc.lon], Math.max(state.map.getZoom(), 16));
    }
    clearTimeout(state.routeTimer);
    state.routeTimer = setTimeout(previewRoute, 500);
  }

  function routeWord(r) {
    var parts = [];
    if (r.grid) parts.push("网格：" + (r.grid.name || r.grid.code));
    if (r.village) parts.push("村社区：" + (r.village.name || r.village.code));
    if (r.township) parts.push("乡镇：" + (r.township.name || r.township.code));
    return parts;
  }

  function previewRoute() {
    var box = $("m-route");
    var loc = state.loc;
    if (!loc) return;
    box.textContent = "";
    if (!state.online) {
      box.textContent = "无信号：发送时由系统确定所属网格";
      return;
    }
    api("/route?lon=" + loc.lon.toFixed(6) + "&lat=" + loc.lat.toFixed(6)).then(function (r) {
      box.textContent = "";
      box.className = "m-route";
      if (r.method === "unrouted") {
        box.classList.add("m-warn");
        box.textContent = "这个位置不在任何网格内：仍可上报，由指挥室人工确定归属";
        return;
      }
      var title = el("strong", r.method === "nearest" ? "网格外 " + Math.round(r.distance_m) +
        " 米，就近归入：" : r.method === "border" ? "网格交界，归入：" : "将派往：");
      box.appendChild(title);
      routeWord(r).forEach(function (line) { box.appendChild(el("div", line)); });
      suggestAddress(r);
      drawGrids(loc);
    }, function (error) {
      box.textContent = error.offline ? "无信号：发送时由系统确定所属网格" : words(error);
    });
  }

  // The nearest address the app knows: the township, village and grid the point routes to.
  function suggestAddress(r) {
    var field = $("m-report").elements.address;
    var names = [r.township, r.village, r.grid].map(function (a) {
      return a ? a.name || a.code : "";
    });
    if (names[1] && names[2].indexOf(names[1]) === 0) names[1] = ""; // 星火村 星火村第3网格
    var text = names.join("") + "附近";
    if (!field.value || field.value === state.addressAuto) {
      field.value = text;
      state.addressAuto = text;
    }
  }

  function drawGrids(loc) {
    if (!state.map) return;
    var box = state.gridBox;
    if (box && loc.lon > box[0] && loc.lon < box[2] && loc.lat > box[1] && loc.lat < box[3]) return;
    var d = 0.01;
    box = [loc.lon - d, loc.lat - d, loc.lon + d, loc.lat + d];
    state.gridBox = box;
    api("/boundaries?level=grid&bbox=" + box.map(function (v) { return v.toFixed(5); }).join(","))
      .then(function (fc) {
        state.gridLayer.clearLayers();
        state.gridLayer.addData(fc);
      }, function () { state.gridBox = null; });
  }

  // --- report: the draft and sending ---------------------------------------------------------------

  function saveDraft() {
    clearTimeout(saveDraft.timer);
    saveDraft.timer = setTimeout(function () {
      var f = $("m-report").elements;
      store.put("drafts", {
        name: "report", title: f.title.value, description: f.description.value,
        address: f.address.value, address_auto: state.addressAuto, urgent: f.urgent.checked,
        category: state.category ? state.category.code : null,
        loc: state.loc && state.loc.manual ? state.loc : null,
        photos: state.photos.map(function (p) { return p.blob; })
      });
    }, 300);
  }

  function restoreDraft() {
    return store.get("drafts", "report").then(function (d) {
      if (!d) return;
      var f = $("m-report").elements;
      f.title.value = d.title || "";
      f.description.value = d.description || "";
      f.address.value = d.address || "";
      f.urgent.checked = !!d.urgent;
      state.addressAuto = d.address_auto || "";
      if (d.category) setCategory(d.category);
      state.photos = (d.photos || []).map(function (blob) {
        return { blob: blob, url: URL.createObjectURL(blob) };
      });
      renderReportPhotos();
      if (d.loc) setLocation(d.loc);
    });
  }

  function resetReport() {
    $("m-report").reset();
    state.photos = [];
    state.addressAuto = "";
    setCategory(null);
    renderReportPhotos();
    if (state.loc && state.loc.manual) {
      state.loc = null;
      if (state.lastFix) {
        var c = state.lastFix.coords;
        setLocation({ lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, manual: false });
      }
    }
    return store.remove("drafts", "report");
  }

  function submitReport(e) {
    e.preventDefault();
    var f = $("m-report").elements;
    var note = $("m-report-note");
    var problem = !state.category ? "请先选择事件分类"
      : !f.title.value.trim() ? "请填写标题"
        : !state.loc ? "还没有位置：请等待定位，或拖动地图上的图钉标出事发位置"
          : (!state.loc.manual && state.loc.accuracy > cfg.gps_max_accuracy_m)
            ? "定位精度较差（±" + Math.round(state.loc.accuracy) + " 米）：请拖动图钉到事发位置后再上报"
            : null;
    if (problem) {
      note.textContent = problem;
      note.className = "m-note m-bad";
      toast(problem, "error");
      return;
    }
    var id = newId("m");
    var item = {
      id: id,
      n: Date.now(),
      login: cfg.user.login,
      user_name: cfg.user.name,
      created_at: new Date().toISOString(),
      state: "waiting",
      category_name: state.category.name,
      body: {
        title: f.title.value.trim(),
        description: f.description.value.trim(),
        category_code: state.category.code,
        urgency: f.urgent.checked && state.category.urgent ? "urgent" : "normal",
        source: cfg.source,
        lon: Number(state.loc.lon.toFixed(7)),
        lat: Number(state.loc.lat.toFixed(7)),
        crs: "wgs84",
        address: f.address.value.trim() || null,
        occurred_at: new Date().toISOString(),
        external_id: id
      },
      photos: state.photos.map(function (p, i) {
        return { name: id + "-" + (i + 1) + ".jpg", blob: p.blob, done: false };
      })
    };
    store.put("outbox", item).then(function () {
      note.textContent = "";
      return resetReport();
    }).then(function () {
      toast(state.online ? "已保存，正在发送" : "无信号：已保存在手机上，有信号后自动发送", "ok");
      renderOutbox();
      flush();
    }, function () {
      toast("手机存储空间不足，未能保存，请清理后重试", "error");
    });
  }

  // Send what waits, oldest first, one at a time, each exactly once.
  function flush() {
    if (state.flushing) { state.flushAgain = true; return Promise.resolve(); }
    if (state.signInEnded) return Promise.resolve();
    state.flushing = true;
    return store.all("outbox").then(function (items) {
      items.sort(function (a, b) { return a.n - b.n; });
      var queue = items.filter(function (i) {
        return i.state === "waiting" || i.state === "sending";
      });
      return queue.reduce(function (chain, item) {
        return chain.then(function (go) {
          if (!go) return false;
          if (item.login !== cfg.user.login) return true; // waits for its own sign-in
          return sendOne(item);
        });
      }, Promise.resolve(true));
    }).then(function () {
      state.flushing = false;
      renderOutbox();
      if (state.flushAgain) { state.flushAgain = false; return flush(); }
    }, function () {
      state.flushing = false;
      renderOutbox();
    });
  }

  // true: go on with the next; false: stop (no signal, or the sign-in ended).
  function sendOne(item) {
    item.state = "sending";
    item.error = null;
    return store.put("outbox", item).then(renderOutbox).then(function () {
      if (item.event_id) return item;
      return api("/events", { method: "POST", body: item.body }).then(function (event) {
        item.event_id = event.id;
        return store.put("outbox", item).then(function () { return item; });
      });
    }).then(function () {
      return item.photos.reduce(function (chain, photo) {
        return chain.then(function () { return sendPhoto(item, photo); });
      }, Promise.resolve());
    }).then(function () {
      item.state = "sent";
      item.sent_at = new Date().toISOString();
      item.photos = item.photos.map(function (p) { return { name: p.name, done: p.done,
        error: p.error || null }; });
      return store.put("outbox", item).then(function () { return true; });
    }, function (error) {
      if (error && (error.offline || error.status === 401 || error.status >= 500)) {
        item.state = "waiting";
        item.error = error.status === 401 ? "登录已过期，重新登录后自动发送"
          : error.offline ? "无信号，有信号后自动发送" : words(error);
        return store.put("outbox", item).then(function () { return false; });
      }
      item.state = "failed";
      item.error = words(error);
      return store.put("outbox", item).then(function () { return true; });
    });
  }

  // A photo is sent once: after an answer that was lost, the event's photos are asked first.
  function sendPhoto(item, photo) {
    if (photo.done || photo.error) return Promise.resolve();
    var check = photo.tried ? api("/events/" + item.event_id + "/attachments").then(function (list) {
      return list.some(function (a) { return a.original_name === photo.name; });
    }) : Promise.resolve(false);
    return check.then(function (already) {
      if (already) return null;
      photo.tried = true;
      return store.put("outbox", item).then(function () {
        var form = new FormData();
        form.append("file", photo.blob, photo.name);
        form.append("kind", "before");
        return api("/events/" + item.event_id + "/attachments",
          { method: "POST", body: form, timeoutMs: 90000 });
      });
    }).then(function () {
      photo.done = true;
      photo.blob = null;
      return store.put("outbox", item);
    }, function (error) {
      if (error && (error.status === 413 || error.status === 422)) {
        photo.error = words(error);  // this photo cannot go; the report still does
        return store.put("outbox", item);
      }
      throw error;
    });
  }

  var OUTBOX_WORDS = { waiting: "等待发送", sending: "正在发送", sent: "已发送", failed: "发送失败" };

  function renderOutbox() {
    return store.all("outbox").then(function (items) {
      items.sort(function (a, b) { return b.n - a.n; });
      var list = $("m-outbox");
      list.textContent = "";
      var open = 0;
      items.forEach(function (item) {
        var mine = item.login === cfg.user.login;
        var key = item.state;
        if (key !== "sent") open += 1;
        var li = el("li", null, "m-card m-out m-out-" + key);
        li.dataset.id = item.id;
        li.dataset.state = key;
        var head = el("div", null, "m-card-head");
        head.appendChild(el("strong", item.body.title));
        head.appendChild(el("span", OUTBOX_WORDS[key] || key, "m-chip m-chip-" + key));
        li.appendChild(head);
        li.appendChild(el("div", item.category_name + " · " + shortTime(item.created_at) +
          " · 照片 " + item.photos.length + " 张", "m-muted"));
        if (item.event_id) li.appendChild(el("div", "事件编号 " + item.event_id, "m-event-no"));
        if (!mine && key !== "sent") {
          li.appendChild(el("div", "由 " + (item.user_name || item.login) +
            " 上报：等待其登录后发送", "m-warn"));
        } else if (item.error) {
          li.appendChild(el("div", item.error, key === "failed" ? "m-bad" : "m-warn"));
        }
        item.photos.filter(function (p) { return p.error; }).forEach(function (p) {
          li.appendChild(el("div", "有一张照片未能上传：" + p.error, "m-bad"));
        });
        if (key === "failed") {
          var row = el("div", null, "m-row");
          var again = el("button", "重试", "m-button m-small");
          again.type = "button";
          again.addEventListener("click", function () {
            item.state = "waiting";
            store.put("outbox", item).then(flush);
          });
          var drop = el("button", "删除", "m-button m-small m-danger");
          drop.type = "button";
          drop.addEventListener("click", function () {
            if (global.confirm("删除这条未发送的上报？")) {
              store.remove("outbox", item.id).then(renderOutbox);
            }
          });
          row.appendChild(again);
          row.appendChild(drop);
          li.appendChild(row);
        }
        list.appendChild(li);
      });
      $("m-outbox-empty").hidden = items.length > 0;
      badge("outbox", open);
    });
  }

  // Sent reports are kept on the list for a week, then forgotten.
  function pruneOutbox() {
    var week = Date.now() - 7 * 86400000;
    return store.all("outbox").then(function (items) {
      return Promise.all(items.filter(function (i) {
        return i.state === "sent" && Date.parse(i.sent_at) < week;
      }).map(function (i) { return store.remove("outbox", i.id); }));
    });
  }

  // --- my tasks ------------------------------------------------------------------------------------

  // Working time between two moments (ms), from the working periods the server gave.
  function workingMs(from, to) {
    var total = 0;
    state.periods.forEach(function (p) {
      var a = Math.max(from, p[0]), b = Math.min(to, p[1]);
      if (b > a) total += b - a;
    });
    return total;
  }

  function myTask(event) {
    var open = ["pending", "acknowledged", "in_progress"];
    var mine = event.tasks.filter(function (t) {
      return t.unit_code === cfg.user.unit_code && open.indexOf(t.state) >= 0;
    });
    if (!mine.length && cfg.user.role === "admin") {
      mine = event.tasks.filter(function (t) { return open.indexOf(t.state) >= 0; });
    }
    return mine[0] || null;
  }

  // Time left (ms; negative when overdue), in working time unless the event is timed in
  // natural hours (urgent, in a category with an hourly urgent limit).
  function timeLeft(event, task, now) {
    var due = Date.parse((task && task.handle_due) || event.handle_due);
    if (isNaN(due)) return null;
    var category = categoryByCode(event.category.code);
    var natural = event.urgency === "urgent" && category && category.natural;
    if (natural || !state.periods.length) return { ms: due - now, natural: true };
    return { ms: due >= now ? workingMs(now, due) : -workingMs(due, now), natural: false };
  }

  function leftWords(left) {
    if (!left) return "";
    var ms = Math.abs(left.ms);
    var h = Math.floor(ms / 3600000), m = Math.floor((ms % 3600000) / 60000);
    var unit = left.natural ? "小时" : "工作时";
    var text = (h ? h + " " + unit + " " : "") + m + " 分";
    return left.ms < 0 ? "已超期 " + text : "剩余 " + text;
  }

  function loadPeriods() {
    var today = new Date().toISOString().slice(0, 10);
    return store.value("periods", null).then(function (kept) {
      if (kept && kept.day === today) { state.periods = kept.periods; return; }
      if (kept) state.periods = kept.periods;
      return api("/worktime/periods").then(function (answer) {
        state.periods = answer.periods.map(function (p) { return [Date.parse(p[0]), Date.parse(p[1])]; });
        return store.setValue("periods", { day: today, periods: state.periods });
      }, function () {});
    });
  }

  function loadTasks(quiet) {
    if (!cfg.has_tasks) return Promise.resolve();
    return Promise.all([
      api("/queues/my_tasks?limit=200"), api("/supervision/orders"), loadPeriods(),
      store.value("seen_tasks", null)
    ]).then(function (r) {
      state.tasks = r[0];
      state.orders = r[1];
      var ids = state.tasks.map(function (e) { return e.id; });
      var seen = r[3];
      var fresh = seen ? ids.filter(function (id) { return seen.indexOf(id) < 0; }) : [];
      if (fresh.length) {
        toast("收到 " + fresh.length + " 条新任务", "ok");
        if (global.navigator.vibrate) global.navigator.vibrate([200, 100, 200]);
      }
      store.setValue("seen_tasks", ids);
      store.setValue("tasks", { at: Date.now(), tasks: state.tasks, orders: state.orders });
      $("m-tasks-when").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN",
        { hour12: false, timeZone: S.timeZone() });
      renderTasks();
    }, function (error) {
      if (!quiet && state.tab === "tasks") toast(words(error), "error");
      // Without a signal: the tasks last seen, marked as such.
      return store.value("tasks", null).then(function (kept) {
        if (!kept || state.tasks.length) return;
        state.tasks = kept.tasks;
        state.orders = kept.orders;
        $("m-tasks-when").textContent = "无信号，显示 " + shortTime(new Date(kept.at).toISOString()) +
          " 的任务";
        renderTasks();
      });
    });
  }

  function ordersOf(event) {
    return state.orders.filter(function (o) {
      return o.event_id === event.id && (o.unit_code === cfg.user.unit_code ||
        cfg.user.role === "admin");
    });
  }

  // The actions the table offers for this event and my task; the next step of the task (the
  // action that needs exactly its state) first.
  function offered(event, task) {
    var list = cfg.actions.filter(function (a) {
      if (event.allowed_actions.indexOf(a.action) < 0) return false;
      if (a.action === "answer_supervision") return ordersOf(event).length > 0;
      if (!task) return false;
      return !a.task_from.length || a.task_from.indexOf(task.state) >= 0;
    });
    function narrow(a) { return a.task_from.length || 2; }
    return list.sort(function (a, b) { return narrow(a) - narrow(b); });
  }

  function renderTasks() {
    var now = Date.now();
    var list = $("m-tasks");
    list.textContent = "";
    var rows = state.tasks.map(function (event) {
      var task = myTask(event);
      return { event: event, task: task, left: timeLeft(event, task, now) };
    });
    rows.sort(function (a, b) {
      var x = a.left ? a.left.ms : Infinity, y = b.left ? b.left.ms : Infinity;
      return x - y || a.event.id - b.event.id;
    });
    rows.forEach(function (row) {
      var event = row.event, task = row.task;
      var li = el("li", null, "m-card m-task");
      li.dataset.id = event.id;
      if (row.left && row.left.ms < 0) li.classList.add("m-overdue");
      else if (event.at_risk || (task && Date.parse(task.at_risk_at) <= now)) {
        li.classList.add("m-at-risk");
      }
      var head = el("div", null, "m-card-head");
      head.appendChild(el("strong", event.title));
      head.appendChild(el("span", task ? taskWord(task.state) : statusWord(event.status),
        "m-chip"));
      li.appendChild(head);
      li.appendChild(el("div", "编号 " + event.id + " · " + event.category.name +
        (event.urgency === "urgent" ? " · 紧急" : "") + (task && task.role === "co" ? " · 协办" : ""),
        "m-muted"));
      var r = event.routing || {};
      var where = event.address || [r.village_name, r.grid_name].filter(Boolean).join(" ");
      if (where) li.appendChild(el("div", where, "m-where"));
      var left = el("div", leftWords(row.left), "m-left");
      left.dataset.left = row.left ? String(row.left.ms) : "";
      li.appendChild(left);
      ordersOf(event).forEach(function (o) {
        li.appendChild(el("div", (o.level === "red" ? "红色督办：" : "黄色督办：") + o.message +
          (o.reply_due ? "（" + shortTime(o.reply_due) + " 前回复）" : ""), "m-order"));
      });
      if (event.description) li.appendChild(el("p", event.description, "m-desc"));
      var actions = el("div", null, "m-actions");
      offered(event, task).forEach(function (a, i) {
        var b = el("button", a.label, i === 0 ? "m-primary m-act" : "m-button m-act");
        b.type = "button";
        b.dataset.action = a.action;
        b.addEventListener("click", function () { openAction(event, a); });
        actions.appendChild(b);
      });
      li.appendChild(actions);
      list.appendChild(li);
    });
    $("m-tasks-empty").hidden = rows.length > 0;
    badge("tasks", rows.length);
  }

  // The form of a task action, generated from its fields (the body schema's own titles).
  function openAction(event, action) {
    var sheet = openSheet(action.label + " · " + event.title);
    var form = el("form", null, "m-form");
    form.noValidate = true;
    var inputs = {};
    var photos = [];
    var titles = {};
    action.fields.forEach(function (f) {
      titles[f.name] = f.title;
      var wrap = el("label", null, "m-field");
      wrap.appendChild(el("span", f.title + (f.required ? "（必填）" : ""), "m-label"));
      var input;
      if (f.kind === "text") {
        input = el("textarea");
        input.rows = 3;
      } else if (f.kind === "choice") {
        input = el("select");
        f.choices.forEach(function (c) { input.appendChild(new Option(c[1], c[0])); });
      } else if (f.kind === "datetime") {
        input = el("input");
        input.type = "datetime-local";
      } else if (f.kind === "order") {
        input = el("select");
        ordersOf(event).forEach(function (o) {
          input.appendChild(new Option((o.level === "red" ? "红色督办：" : "黄色督办：") +
            o.message, String(o.id)));
        });
      } else if (f.kind === "photos") {
        wrap = el("div", null, "m-field");
        wrap.appendChild(el("span", f.title, "m-label"));
        var box = el("div", null, "m-photos");
        var pickWrap = el("label", "＋ 添加照片", "m-button");
        var pick = el("input");
        pick.type = "file";
        pick.accept = "image/*";
        pick.multiple = true;
        pick.hidden = true;
        pick.dataset.field = f.name;
        var redraw = function () { drawPhotos(box, photos, redraw); };
        pick.addEventListener("change", function () {
          addPhotos(pick.files, photos, cfg.max_photos, redraw);
          pick.value = "";
        });
        pickWrap.appendChild(pick);
        wrap.appendChild(box);
        wrap.appendChild(pickWrap);
        form.appendChild(wrap);
        return;
      } else {
        input = el("input");
      }
      input.name = f.name;
      wrap.appendChild(input);
      inputs[f.name] = { field: f, input: input };
      form.appendChild(wrap);
    });
    var note = el("p", "", "m-note m-bad");
    form.appendChild(note);
    var row = el("div", null, "m-row");
    var cancel = el("button", "取消", "m-button m-half");
    cancel.type = "button";
    cancel.addEventListener("click", closeSheet);
    var submit = el("button", "确定" + action.label, "m-primary m-half");
    submit.type = "submit";
    row.appendChild(cancel);
    row.appendChild(submit);
    form.appendChild(row);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { version: event.version };
      var missing = null;
      Object.keys(inputs).forEach(function (name) {
        var f = inputs[name].field, value = inputs[name].input.value.trim();
        if (!value) { if (f.required && !missing) missing = f.title; return; }
        if (f.kind === "order") body[name] = Number(value);
        else if (f.kind === "datetime") body[name] = value + ":00";
        else body[name] = value;
      });
      if (missing) { note.textContent = "请填写「" + missing + "」"; return; }
      if (!state.online) { note.textContent = "无信号：请到信号好的地方再办理"; return; }
      submit.disabled = true;
      note.textContent = "";
      var ids = [];
      photos.reduce(function (chain, p, i) {
        return chain.then(function () {
          var data = new FormData();
          data.append("file", p.blob, "task-" + event.id + "-" + Date.now() + "-" + i + ".jpg");
          data.append("kind", "after");
          return api("/events/" + event.id + "/attachments",
            { method: "POST", body: data, timeoutMs: 90000 }).then(function (a) { ids.push(a.id); });
        });
      }, Promise.resolve()).then(function () {
        if (ids.length) body.attachment_ids = ids;
        return api("/events/" + event.id + "/actions/" + action.action,
          { method: "POST", body: body });
      }).then(function () {
        closeSheet();
        toast(action.label + "成功", "ok");
        loadTasks(true);
      }, function (error) {
        submit.disabled = false;
        note.textContent = words(error, action.action, titles);
        if (error.data && error.data.error === "stale_version") loadTasks(true);
      });
    });
    sheet.body.appendChild(form);
  }

  // --- the bottom sheet ----------------------------------------------------------------------------

  function openSheet(title) {
    var sheet = $("m-sheet");
    sheet.textContent = "";
    var panel = el("div", null, "m-sheet-panel");
    var head = el("div", null, "m-sheet-head");
    head.appendChild(el("h3", title));
    var close = el("button", "关闭", "m-button m-small");
    close.type = "button";
    close.addEventListener("click", closeSheet);
    head.appendChild(close);
    panel.appendChild(head);
    var body = el("div", null, "m-sheet-body");
    panel.appendChild(body);
    sheet.appendChild(panel);
    sheet.hidden = false;
    doc.body.classList.add("m-sheet-open");
    return { body: body };
  }

  function closeSheet() {
    $("m-sheet").hidden = true;
    $("m-sheet").textContent = "";
    doc.body.classList.remove("m-sheet-open");
  }

  // --- patrol --------------------------------------------------------------------------------------

  function activePatrol() {
    return store.all("patrols").then(function (all) {
      return all.filter(function (p) { return !p.ended_at; })[0] || null;
    });
  }

  function renderPatrol() {
    var p = state.patrol;
    $("m-patrol-toggle").textContent = p ? "结束巡查" : "开始巡查";
    $("m-patrol-toggle").classList.toggle("m-danger", !!p);
    $("m-patrol-state").textContent = p ? "巡查中 · 开始于 " + shortTime(p.started_at) : "未在巡查";
    $("m-patrol-state").classList.toggle("m-on", !!p);
    var seconds = p ? Math.max(0, Math.floor((Date.now() - Date.parse(p.started_at)) / 1000)) : 0;
    $("m-patrol-time").textContent = Math.floor(seconds / 3600) + ":" +
      pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60);
    $("m-patrol-distance").textContent = metres(p ? p.distance_m : 0);
    $("m-patrol-points").textContent = p ? String(p.next_seq) : "0";
    store.all("points").then(function (points) {
      $("m-patrol-waiting").textContent = String(points.length);
      badge("patrol", p ? 1 : 0);
    });
  }

  function startPatrol() {
    if (!global.navigator.geolocation) { toast(gpsError(null), "error"); return; }
    var now = new Date().toISOString();
    var p = { external_id: newId("p"), login: cfg.user.login, started_at: now, ended_at: null,
      server_id: null, next_seq: 0, distance_m: 0, last: null, done: false };
    store.put("patrols", p).then(function () {
      state.patrol = p;
      sample();
      startSampling();
      renderPatrol();
      toast("巡查开始，每 " + cfg.patrol_interval_s + " 秒记录一次位置", "ok");
      syncPatrols();
    });
  }

  function endPatrol() {
    var p = state.patrol;
    if (!p) return;
    sample();
    p.ended_at = new Date().toISOString();
    stopSampling();
    state.patrol = null;
    store.put("patrols", p).then(function () {
      renderPatrol();
      toast("巡查结束：" + metres(p.distance_m) + "，" + p.next_seq + " 个定位点", "ok");
      syncPatrols().then(loadPatrols);
    });
  }

  function startSampling() {
    stopSampling();
    state.patrolWatch = global.navigator.geolocation.watchPosition(function (pos) {
      var first = !state.lastFix;
      state.lastFix = pos;
      $("m-patrol-gps").textContent = "GPS 精度 ±" + Math.round(pos.coords.accuracy) + " 米";
      if (first) sample();
    }, function (error) {
      $("m-patrol-gps").textContent = gpsError(error);
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
    state.patrolTimer = setInterval(function () {
      sample();
      renderPatrol();
    }, cfg.patrol_interval_s * 1000);
    state.clockTimer = setInterval(renderPatrol, 1000);
    keepAwake();
  }

  function stopSampling() {
    if (state.patrolWatch != null) global.navigator.geolocation.clearWatch(state.patrolWatch);
    state.patrolWatch = null;
    clearInterval(state.patrolTimer);
    clearInterval(state.clockTimer);
    if (state.wakeLock) { state.wakeLock.release().catch(function () {}); state.wakeLock = null; }
  }

  function keepAwake() {
    if (!global.navigator.wakeLock || state.wakeLock || !state.patrol) return;
    global.navigator.wakeLock.request("screen").then(function (lock) {
      state.wakeLock = lock;
      lock.addEventListener("release", function () { state.wakeLock = null; });
    }, function () {});
  }

  // One position every patrol_interval_s: the newest fix, if there is a new one.
  function sample() {
    var p = state.patrol, fix = state.lastFix;
    if (!p || !fix || fix.timestamp === p.last_fix_at) return;
    var point = { patrol: p.external_id, seq: p.next_seq, at: new Date(fix.timestamp).toISOString(),
      lon: fix.coords.longitude, lat: fix.coords.latitude, accuracy_m: fix.coords.accuracy };
    p.next_seq += 1;
    p.last_fix_at = fix.timestamp;
    if (fix.coords.accuracy <= cfg.gps_max_accuracy_m) {
      if (p.last) p.distance_m += haversine(p.last, point);
      p.last = { lat: point.lat, lon: point.lon };
    }
    store.put("points", point).then(function () { return store.put("patrols", p); })
      .then(function () {
        return store.all("points").then(function (all) {
          if (all.length >= cfg.patrol_batch_points) syncPatrols();
        });
      });
  }

  // Upload what waits: each patrol's start, its positions in batches, its end; in order, again
  // after a stretch without a signal. Every step is stored once by the server.
  function syncPatrols() {
    if (state.syncing || state.signInEnded) return Promise.resolve();
    state.syncing = true;
    return Promise.all([store.all("patrols"), store.all("points")]).then(function (r) {
      // The running patrol is the page's own object (sampling changes it), not the stored copy.
      var patrols = r[0].map(function (p) {
        return state.patrol && state.patrol.external_id === p.external_id ? state.patrol : p;
      }).filter(function (p) { return !p.done && p.login === cfg.user.login; });
      patrols.sort(function (a, b) { return Date.parse(a.started_at) - Date.parse(b.started_at); });
      return patrols.reduce(function (chain, p) {
        return chain.then(function () { return syncOne(p, r[1]); });
      }, Promise.resolve());
    }).then(function () { state.syncing = false; renderPatrol(); },
      function () { state.syncing = false; renderPatrol(); });
  }

  function syncOne(p, allPoints) {
    var points = allPoints.filter(function (x) { return x.patrol === p.external_id; });
    points.sort(function (a, b) { return a.seq - b.seq; });
    var started = p.server_id ? Promise.resolve() : api("/patrols", { method: "POST",
      body: { external_id: p.external_id, started_at: p.started_at } }).then(function (out) {
      p.server_id = out.id;
      return store.put("patrols", p);
    });
    return started.then(function () {
      function next() {
        if (!points.length) return Promise.resolve();
        var batch = points.splice(0, 500);
        return api("/patrols/" + p.server_id + "/points", { method: "POST", body: {
          points: batch.map(function (x) {
            return { seq: x.seq, at: x.at, lon: x.lon, lat: x.lat, accuracy_m: x.accuracy_m };
          }) } }).then(function (out) {
          p.distance_server_m = out.distance_m;
          return Promise.all(batch.map(function (x) {
            return store.remove("points", [x.patrol, x.seq]);
          }));
        }).then(next);
      }
      return next();
    }).then(function () {
      if (!p.ended_at) return store.put("patrols", p);
      return api("/patrols/" + p.server_id + "/end", { method: "POST",
        body: { ended_at: p.ended_at } }).then(function () {
        p.done = true;
        return store.put("patrols", p);
      });
    });
  }

  function loadPatrols() {
    renderPatrol();
    if (!cfg.can_patrol) return;
    api("/patrols").then(function (patrols) {
      var list = $("m-patrols");
      list.textContent = "";
      patrols.filter(function (p) { return p.user_name === cfg.user.name; }).reverse()
        .forEach(function (p) {
          var when = shortTime(p.started_at) + (p.ended_at ? " – " + shortTime(p.ended_at).slice(-5)
            : " 起（巡查中）");
          list.appendChild(el("li", when + " · " + metres(p.distance_m) + " · " +
            p.point_count + " 个定位点 · 覆盖 " + p.grid_codes.length + " 个网格", "m-patrol-row"));
        });
      if (!list.childNodes.length) list.appendChild(el("li", "今天还没有巡查记录", "m-empty"));
    }, function () {});
  }

  // --- start ---------------------------------------------------------------------------------------

  function bind() {
    Array.prototype.forEach.call(doc.querySelectorAll(".m-nav button"), function (b) {
      b.addEventListener("click", function () { showTab(b.dataset.tab); });
    });
    var form = $("m-report");
    form.addEventListener("submit", submitReport);
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);
    $("m-category").addEventListener("click", openCategories);
    $("m-locate").addEventListener("click", function () {
      if (state.loc && state.loc.manual) state.loc = null;
      gpsLine($("m-gps"), null);
      startGps();
    });
    ["m-camera", "m-album"].forEach(function (id) {
      $(id).addEventListener("change", function (e) {
        addPhotos(e.target.files, state.photos, cfg.max_photos, function () {
          renderReportPhotos();
          saveDraft();
        });
        e.target.value = "";
      });
    });
    $("m-retry").addEventListener("click", function () {
      store.all("outbox").then(function (items) {
        return Promise.all(items.filter(function (i) { return i.state === "failed"; })
          .map(function (i) { i.state = "waiting"; return store.put("outbox", i); }));
      }).then(flush);
    });
    $("m-patrol-toggle").addEventListener("click", function () {
      if (state.patrol) {
        if (global.confirm("结束本次巡查？")) endPatrol();
      } else {
        startPatrol();
      }
    });
    global.addEventListener("online", function () {
      setOnline(true);
      S.renewSignIn();
      flush();
      syncPatrols();
      previewRoute();
    });
    global.addEventListener("offline", function () { setOnline(false); });
    doc.addEventListener("visibilitychange", function () {
      if (doc.visibilityState !== "visible") return;
      keepAwake();
      if (state.tab === "tasks") loadTasks(true);
      flush();
    });
  }

  function start() {
    cfg = JSON.parse($("sx-config").textContent);
    S.onSignInEnded = signInEnded;
    setOnline(global.navigator.onLine);
    secureContextNote();
    bind();
    store.persist();
    renderReportPhotos();
    var first = cfg.can_report ? "report" : "tasks";
    store.value("tab", first).then(function (tab) {
      var known = doc.querySelector('.m-nav button[data-tab="' + tab + '"]');
      showTab(known ? tab : first);
      return restoreDraft();
    }).then(function () {
      if (cfg.can_report) startGps();
      return activePatrol();
    }).then(function (p) {
      if (p && p.login === cfg.user.login) {  // reopened during a patrol: go on with it
        state.patrol = p;
        startSampling();
      }
      renderPatrol();
      return pruneOutbox();
    }).then(function () {
      renderOutbox();
      flush();
      syncPatrols();
    }, function () {
      banner("这部手机的浏览器不能保存数据（可能处于无痕模式）：无信号时的上报会丢失。");
    });
    if (cfg.has_tasks) {
      loadTasks(true);
      setInterval(function () {
        if (doc.visibilityState === "visible") loadTasks(true);
      }, cfg.poll_s * 1000);
      setInterval(function () { if (state.tab === "tasks") renderTasks(); }, 30000);
    }
    setInterval(function () { if (state.online) { flush(); syncPatrols(); } }, 20000);
    if (global.navigator.serviceWorker && global.isSecureContext) {
      global.navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch(function () {});
    }
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();

  global.Shuxin.mobile = { state: function () { return state; }, flush: flush,
    syncPatrols: syncPatrols, loadTasks: loadTasks };
})(window);

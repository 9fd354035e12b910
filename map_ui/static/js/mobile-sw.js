/* The phone page's service worker (served at /m/sw.js, scope /m): it keeps the page and its
   files so that the page opens without a signal. self.SHUXIN_CACHE (version, urls) is written
   above this by the server. The API is never answered from here: the page keeps what it could
   not send in IndexedDB and sends it itself when the signal returns. */
"use strict";

var CACHE = "shuxin-m-" + self.SHUXIN_CACHE.version;
var PAGE = "/m";
var PAGE_TIMEOUT_MS = 4000; // a weak signal: after this the kept page opens, fresh or not

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(self.SHUXIN_CACHE.urls.map(function (url) {
        return fetch(url, { credentials: "same-origin", cache: "no-cache" })
          .then(function (response) {
            // Only a real answer is kept: never the sign-in page a redirect leads to.
            if (response.ok && !response.redirected) return cache.put(url, response);
          });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("shuxin-m-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isPage(request, url) {
  return request.mode === "navigate" && url.pathname === PAGE;
}

// The page: from the network when it answers in time (and keep that copy), else the copy kept.
function page(request) {
  return caches.open(CACHE).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (response.ok && !response.redirected && response.type === "basic") {
        cache.put(PAGE, response.clone());
      }
      return response;
    });
    var late = new Promise(function (resolve) {
      setTimeout(function () {
        cache.match(PAGE).then(function (kept) { if (kept) resolve(kept); });
      }, PAGE_TIMEOUT_MS);
    });
    return Promise.race([network, late]).catch(function () {
      return cache.match(PAGE).then(function (kept) {
        return kept || new Response(
          "<!DOCTYPE html><meta charset=utf-8><title>无信号</title>" +
          "<p style=\"font:18px sans-serif;padding:24px\">无信号，且本机还没有保存过本页。" +
          "请在有信号时打开一次。</p>",
          { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isPage(request, url)) {
    event.respondWith(page(request));
    return;
  }
  // The page's own files (versioned URLs): the kept copy first.
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === PAGE + "/manifest.webmanifest") {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (kept) {
          return kept || fetch(request);
        });
      })
    );
  }
});

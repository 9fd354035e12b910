/* The phone's own storage (IndexedDB "shuxin-m"): what the worker typed and photographed, the
   reports waiting to be sent (with their photos as Blobs), the running patrol and its positions.
   It outlives closing the page and restarting the phone. */
(function (global) {
  "use strict";

  var NAME = "shuxin-m";
  var VERSION = 1;
  var STORES = {
    outbox: { keyPath: "id" },            // reports: id = external_id made on the phone
    drafts: { keyPath: "name" },          // the report form as it was left
    patrols: { keyPath: "external_id" },  // patrols started on this phone
    points: { keyPath: ["patrol", "seq"] }, // positions waiting to be uploaded
    kv: { keyPath: "k" }                  // small things: recent categories, last tasks seen
  };
  var opened = null;

  function open() {
    if (opened) return opened;
    opened = new Promise(function (resolve, reject) {
      if (!global.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = global.indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        Object.keys(STORES).forEach(function (name) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, STORES[name]);
        });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opened;
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var request = work(tx.objectStore(store));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("aborted")); };
      });
    });
  }

  var store = {
    get: function (name, key) { return run(name, "readonly", function (s) { return s.get(key); }); },
    all: function (name) { return run(name, "readonly", function (s) { return s.getAll(); }); },
    put: function (name, value) {
      return run(name, "readwrite", function (s) { return s.put(value); });
    },
    remove: function (name, key) {
      return run(name, "readwrite", function (s) { return s.delete(key); });
    },
    value: function (key, fallback) {
      return store.get("kv", key).then(function (row) { return row ? row.v : fallback; });
    },
    setValue: function (key, v) { return store.put("kv", { k: key, v: v }); },
    // Ask the browser not to clear this storage when the phone runs short of space.
    persist: function () {
      if (global.navigator.storage && global.navigator.storage.persist) {
        return global.navigator.storage.persist().catch(function () { return false; });
      }
      return Promise.resolve(false);
    }
  };

  global.Shuxin = global.Shuxin || {};
  global.Shuxin.store = store;
})(window);

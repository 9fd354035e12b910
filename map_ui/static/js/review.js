/* The reviewer's form on a 复盘 page: saves the conclusions and lessons (JSON, with the header
   the API asks of cookie-signed requests), then reloads the page to show them. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("sx-note-form");
    if (!form) return;
    var status = document.getElementById("sx-note-status");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      status.textContent = "保存中…";
      fetch(form.dataset.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Requested-With": "fetch" },
        body: JSON.stringify({
          kind: form.dataset.kind,
          subject: form.dataset.subject,
          conclusions: data.get("conclusions"),
          lessons: data.get("lessons"),
        }),
      }).then(function (answer) {
        if (answer.ok) { window.location.reload(); return; }
        return answer.json().then(function (problem) {
          status.textContent = "未保存：" + (problem.message || answer.status);
        });
      }).catch(function () { status.textContent = "未保存：网络错误"; });
    });
  });
})();

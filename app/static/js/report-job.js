// Polls a report job's status and shows its progress (no inline script: the CSP forbids it).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("job");
    if (!box) { return; }
    var url = box.getAttribute("data-status-url");
    var status = box.getAttribute("data-status");
    var bar = document.getElementById("job-progress");
    var percent = document.getElementById("job-percent");
    var step = document.getElementById("job-step");
    var label = document.getElementById("job-status");
    var error = document.getElementById("job-error");
    var download = document.getElementById("job-download");
    var link = document.getElementById("job-link");
    var delay = 800;

    function show(state) {
      bar.value = state.progress;
      bar.textContent = state.progress + "%";
      percent.textContent = state.progress + "%";
      step.textContent = state.step;
      label.textContent = state.status_label;
      if (state.error) { error.textContent = state.error; error.hidden = false; }
      if (state.download_url) {
        link.href = state.download_url;
        link.textContent = "下载 " + state.download_name;
        download.hidden = false;
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (state) {
          show(state);
          if (state.status === "queued" || state.status === "running") {
            delay = Math.min(delay * 1.3, 4000);
            window.setTimeout(poll, delay);
          }
        })
        .catch(function () {
          error.textContent = "暂时无法获取进度，请刷新页面。";
          error.hidden = false;
        });
    }

    if (status === "queued" || status === "running") { poll(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

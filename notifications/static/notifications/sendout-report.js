// The report of a group sendout while it sends: polls the figures once a second and, when the
// opens or clicks changed, swaps in the chart as the server draws it.
(function () {
  "use strict";

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function show(report) {
    const p = report.progress;
    text("report-status", p.status_label);
    document.getElementById("report-progress").value = p.percent;
    text("report-percent", p.percent);
    text("report-done", p.done);
    text("report-total", p.total);
    text("report-rate", p.per_second);
    text("report-end", p.expected_end || "–");
    for (const cell of document.querySelectorAll("[data-count]")) {
      cell.textContent = report.counts[cell.dataset.count];
    }
    return p.status === "sending" || p.status === "scheduled";
  }

  function redrawChart(url) {
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        document.getElementById("report-timeline").outerHTML = html;
      })
      .catch(() => {});
  }

  function start(root) {
    let timeline = null; // the first answer redraws: events may have come in since the page was drawn
    function poll() {
      fetch(root.dataset.jsonUrl, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((report) => {
          const seen = JSON.stringify(report.timeline);
          if (seen !== timeline) {
            redrawChart(root.dataset.chartUrl);
          }
          timeline = seen;
          if (show(report)) {
            setTimeout(poll, 1000);
          }
        })
        .catch(() => setTimeout(poll, 5000));
    }
    setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("sendout-report");
    if (root && root.hasAttribute("data-live")) {
      start(root);
    }
  });
})();

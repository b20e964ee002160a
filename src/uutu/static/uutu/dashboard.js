// uutu dashboard: the chart of introductions and admissions per month.
// The data comes from a JSON script element (no inline script: the CSP allows
// scripts from 'self' only); the same figures are in the table under the chart,
// so the page reads well without JavaScript.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("chart-data");
    var canvas = document.getElementById("chart-monthly");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var narrow = window.matchMedia("(max-width: 576px)").matches;
    var labels = data.labels.map(function (label) {
      // "03/2026" → "T3" on a phone, where twelve full labels do not fit.
      return narrow ? "T" + parseInt(label.split("/")[0], 10) : label;
    });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: data.label_introduced, data: data.introduced, backgroundColor: "#b0275d" },
          { label: data.label_admitted, data: data.admitted, backgroundColor: "#2f7d5b" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { ticks: { autoSkip: false, maxRotation: 0, font: { size: narrow ? 10 : 12 } } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

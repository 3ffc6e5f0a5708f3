// Attach's few behaviours, served from our origin so the Content-Security-Policy can
// forbid inline scripts, styles and handlers altogether.
document.addEventListener("DOMContentLoaded", function () {
  // An error summary takes the focus, so a screen reader announces what is wrong.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link of the summary moves the focus into its field, not only the view (GOV.UK's
    // error summary); without JavaScript the link still scrolls there.
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (ev) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) { return; }
        ev.preventDefault();
        var group = field.closest("fieldset");
        (group || field).scrollIntoView();
        field.focus();
      });
    });
  }

  // A second click while the first submit is on its way would only be ignored by the
  // server (same submission token); disabling the button saves the person a wait.
  var registration = document.getElementById("registration-form");
  if (registration) {
    registration.addEventListener("submit", function (ev) {
      if (ev.submitter && ev.submitter.name === "submit") { setTimeout(function () { ev.submitter.disabled = true; }, 0); }
    });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  drawCharts();
});

// Draws each report's chart from the figures printed beside it (already suppressed:
// a withheld figure is a gap). Chart.js is loaded, with defer, only on report pages.
function drawCharts() {
  if (!window.Chart) { return; }
  var palette = ["#003366", "#fcba19", "#2e8540", "#b35c00", "#5a6270", "#1a5a96"];
  document.querySelectorAll("canvas[id^='chart-']").forEach(function (canvas) {
    var key = canvas.id.slice("chart-".length);
    var source = document.getElementById(key);
    if (!source) { return; }
    var config = JSON.parse(source.textContent);
    config.datasets.forEach(function (ds, i) {
      ds.backgroundColor = palette[i % palette.length];
      ds.borderColor = palette[i % palette.length];
      ds.spanGaps = false;
    });
    new Chart(canvas, {
      type: config.type,
      data: {labels: config.labels, datasets: config.datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {y: {beginAtZero: true}},
        plugins: {legend: {position: "bottom"}}
      }
    });
  });
}

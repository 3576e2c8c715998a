/* Draws the dashboard's charts with Chart.js from the data the page carries (json_script).
   Each <canvas data-source="id"> names the <script type="application/json"> holding
   {type, labels, series: [{label, data, color | colors}]}. Numbers use the page's locale
   (fa-IR writes Persian digits); in a right-to-left page the axes and legends run from the right. */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function build(spec, rtl, locale) {
    var ink = cssVar("--ink", "#1c2430");
    var muted = cssVar("--muted", "#4f5b6b");
    var grid = cssVar("--line", "#d5dbe3");
    var kind = spec.type === "hbar" ? "bar" : spec.type;
    var round = spec.type === "doughnut";
    // Chart.js writes a zero tick as "0" whatever the locale: every tick goes through Intl here.
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var datasets = spec.series.map(function (s) {
      var set = { label: s.label, data: s.data };
      if (round) {
        set.backgroundColor = s.colors;
        set.borderColor = "#ffffff";
      } else {
        set.backgroundColor = s.color;
        set.borderColor = s.color;
        set.maxBarThickness = 36;
      }
      if (kind === "line") {
        set.fill = false;
        set.tension = 0.25;
        set.pointRadius = 3;
      }
      return set;
    });
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      locale: locale,
      animation: reduced ? false : { duration: 400 },
      plugins: {
        legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", position: round ? "bottom" : "top",
                  display: round || spec.series.length > 1, labels: { color: ink } },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
      }
    };
    if (!round) {
      // Months run left to right as on any time axis; the bars of a ranking grow from the
      // reading side.
      var category = { ticks: { color: muted, autoSkip: true, maxRotation: 60, font: { size: 11 } },
                       grid: { display: false } };
      var value = { beginAtZero: true, reverse: rtl && spec.type === "hbar",
                    ticks: { color: muted, precision: 0, callback: function (v) { return numbers.format(v); } },
                    grid: { color: grid } };
      if (spec.type === "hbar") {
        options.indexAxis = "y";
        category.position = rtl ? "right" : "left";
        options.scales = { x: value, y: category };
      } else {
        options.scales = { x: category, y: value };
      }
    }
    return { type: kind, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  var drawn = [];

  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    var root = document.documentElement;
    var rtl = root.getAttribute("dir") === "rtl";
    var holder = document.querySelector("[data-locale]");
    var locale = (holder && holder.getAttribute("data-locale")) || (rtl ? "fa-IR" : "en-US");
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = cssVar("--ink", "#1c2430");
    document.querySelectorAll("canvas[data-source]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!source || window.Chart.getChart(canvas)) {
        return;
      }
      drawn.push(new window.Chart(canvas, build(JSON.parse(source.textContent), rtl, locale)));
    });
    if (document.fonts && document.fonts.ready) {
      // Redraw once the page's font has arrived, so the labels are set in it.
      document.fonts.ready.then(function () {
        drawn.forEach(function (chart) { chart.update("none"); });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

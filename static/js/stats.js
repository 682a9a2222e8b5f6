/* The statistics page's charts, drawn with Chart.js (static/vendor/chartjs) from the page's
   JSON endpoint. Without JavaScript the tables under each chart carry the same numbers. */
(function () {
  "use strict";
  var root = document.getElementById("stats");
  if (!root || typeof Chart === "undefined") return;

  function cssVar(name) {
    return getComputedStyle(document.body).getPropertyValue(name).trim();
  }

  // A label as lines of at most LINE_CHARS characters, broken between words.
  var LINE_CHARS = 11;
  // Below this many pixels a category, labels that stand upright do not fit side by side.
  var MIN_UPRIGHT_ROOM = 80;
  // A lying chart's height: per line of a category's label, and for its axes and title.
  var LINE_ROOM = 17, AXIS_ROOM = 90;
  function lines(label) {
    var out = [];
    String(label).split(/\s+/).forEach(function (word) {
      var last = out.length - 1;
      if (last >= 0 && (out[last] + " " + word).length <= LINE_CHARS) { out[last] += " " + word; }
      else { out.push(word); }
    });
    return out;
  }

  function draw(figure) {
    var canvas = document.getElementById("chart-" + figure.id);
    if (!canvas) return;
    var fg = cssVar("--fg"), grid = cssVar("--grid");
    var drawn = figure.series.filter(function (s) { return s.chart; });
    // Empty axes said nothing at all: a figure with nothing to show says so in words.
    var anything = drawn.some(function (s) { return s.data.some(function (v) { return v; }); });
    if (!anything) {
      var said = document.createElement("p");
      said.className = "hint nothing-to-chart";
      said.textContent = "Nothing to chart in this range.";
      canvas.parentElement.insertAdjacentElement("afterend", said);
      return;
    }
    var datasets = drawn.map(function (s, n) {
      var colour = cssVar("--series-" + ((n % 8) + 1));
      return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour, borderWidth: 1 };
    });
    var axis = function (title, stacked) {
      return { stacked: stacked, title: { display: true, text: title, color: fg }, ticks: { color: fg }, grid: { color: grid } };
    };
    var percent = /%/.test(figure.y_label);
    var y = axis(figure.y_label, figure.stacked);
    y.beginAtZero = true;
    if (percent) { y.max = 100; } else { y.ticks.precision = 0; }
    // A share is read with how many items it is of: "n = 31" under each band or rule.
    var counts = figure.series.filter(function (s) { return s.key === figure.count_key; })[0];
    // Those labels stand upright side by side (every one shown): each is broken into short
    // lines, else a long one ("Very hot (80 and above)") is drawn over its neighbour.
    var labels = counts ? figure.labels.map(function (label, n) { return lines(label).concat(["n = " + counts.data[n]]); }) : figure.labels;
    var x = axis(figure.x_label, figure.stacked);
    if (counts) { x.ticks.maxRotation = 0; x.ticks.autoSkip = false; }
    var box = canvas.parentElement;
    box.hidden = false;
    // On a phone there is no room for such labels side by side ("Hot (60–79)" was drawn over
    // "Very hot"): the bars lie down, one under the other, each label on its own lines at
    // their left, and the box grows to give each its height.
    var lying = counts && figure.kind === "bar" && box.clientWidth / labels.length < MIN_UPRIGHT_ROOM;
    if (lying) {
      box.style.height = (AXIS_ROOM + labels.length * Math.max.apply(null, labels.map(function (l) { return l.length; })) * LINE_ROOM) + "px";
    }
    new Chart(canvas, {
      type: figure.kind,
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: lying ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: lying ? { x: y, y: x } : { x: x, y: y },
        plugins: { legend: { display: datasets.length > 1, labels: { color: fg } } }
      }
    });
  }

  fetch(root.getAttribute("data-stats-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (data && data.ok) data.figures.forEach(draw);
      root.setAttribute("data-drawn", "1");
    });
})();

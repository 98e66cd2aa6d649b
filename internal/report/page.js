// pmdp report: renders the data in #pmdp-data for the range picked.
// Every value in the data came from a request anybody could send, so
// this script only ever sets text (textContent) and attributes it
// computes itself; it never parses markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pmdp-data").textContent);
  var dates = data.dates, requests = data.requests, visitors = data.visitors;
  var SHOWN = 20;
  var SVG = "http://www.w3.org/2000/svg";
  var showAll = {};
  var from = 0, to = dates.length - 1;

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  function fmt(n) { return n.toLocaleString("en-US"); }

  // display shows a value as text that cannot hide or reorder what is
  // around it: control characters as their Unicode pictures, bidi
  // controls by code point; the empty value as a placeholder.
  function display(v) {
    if (v === "") return null;
    return v.replace(/[\u0000-\u001f\u007f]/g, function (c) {
      var n = c.charCodeAt(0);
      return String.fromCharCode(n === 0x7f ? 0x2421 : 0x2400 + n);
    }).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, function (c) {
      return "<U+" + c.charCodeAt(0).toString(16).toUpperCase() + ">";
    });
  }

  function valueCell(v) {
    var shown = display(v);
    if (shown === null) return el("td", "value placeholder", "(empty)");
    var td = el("td", "value");
    td.title = shown;
    td.appendChild(el("div", "", shown));
    return td;
  }

  // sumVisitors adds the distinct counts of days (visitor-days); null
  // when any day's count is unknown.
  function sumVisitors(values) {
    var sum = 0;
    for (var i = 0; i < values.length; i++) {
      if (values[i] < 0) return null;
      sum += values[i];
    }
    return sum;
  }

  function niceMax(n) {
    if (n <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(n)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= n) return steps[i] * p;
    return 10 * p;
  }

  function renderCards(total, days, visitorDays) {
    var cards = clear($("cards"));
    function card(id, label, value) {
      var c = el("div", "card");
      c.appendChild(el("div", "label", label));
      var v = el("div", "value", value);
      v.id = id;
      c.appendChild(v);
      cards.appendChild(c);
    }
    card("total-requests", "Requests", fmt(total));
    card("total-days", "Days", fmt(days));
    card("per-day", "Requests per day", days ? fmt(Math.round(total / days)) : "0");
    if (visitors) card("total-visitors", "Visitor-days", visitorDays === null ? "unknown" : fmt(visitorDays));
  }

  function renderChart() {
    var box = clear($("chart"));
    var n = to - from + 1;
    if (n <= 0) { box.appendChild(el("p", "empty", "No dates in this range.")); return; }
    var W = 960, H = 240, L = 64, R = 8, T = 10, B = 26;
    var plotW = W - L - R, plotH = H - T - B;
    var top = 0;
    for (var i = from; i <= to; i++) top = Math.max(top, requests[i]);
    top = niceMax(top);
    var chart = svg("svg", { "class": "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Requests per day" });
    [0, 0.5, 1].forEach(function (f) {
      var y = T + plotH - f * plotH;
      chart.appendChild(svg("line", { "class": "grid", x1: L, x2: W - R, y1: y, y2: y }));
      chart.appendChild(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, fmt(top * f)));
    });
    var slot = plotW / n, gap = slot > 4 ? Math.min(2, slot * 0.2) : 0;
    for (var d = from; d <= to; d++) {
      var h = requests[d] / top * plotH, x = L + (d - from) * slot;
      var bar = svg("rect", { "class": "bar", x: x + gap / 2, y: T + plotH - h, width: Math.max(slot - gap, 0.5), height: h, "data-date": dates[d] });
      var tip = dates[d] + ": " + fmt(requests[d]) + " requests";
      if (visitors && visitors[d] >= 0) tip += ", " + fmt(visitors[d]) + " visitors";
      bar.appendChild(svg("title", {}, tip));
      chart.appendChild(bar);
    }
    var labels = Math.min(n, 7);
    for (var k = 0; k < labels; k++) {
      var idx = labels === 1 ? 0 : Math.round(k * (n - 1) / (labels - 1));
      var anchor = k === 0 ? "start" : k === labels - 1 ? "end" : "middle";
      var lx = L + (idx + (k === 0 ? 0 : k === labels - 1 ? 1 : 0.5)) * slot;
      chart.appendChild(svg("text", { x: lx, y: H - 8, "text-anchor": anchor }, dates[from + idx]));
    }
    box.appendChild(chart);
  }

  function renderDays() {
    var body = clear($("days-body"));
    for (var d = to; d >= from; d--) {
      var tr = el("tr");
      tr.appendChild(el("td", "", dates[d]));
      tr.appendChild(el("td", "n", fmt(requests[d])));
      if (visitors) tr.appendChild(el("td", "n", visitors[d] < 0 ? "unknown" : fmt(visitors[d])));
      body.appendChild(tr);
    }
  }

  function renderTable(t, index) {
    var rows = [], total = 0, withVisitors = false;
    for (var v = 0; v < t.values.length; v++) {
      var n = 0, vis = [];
      t.cells[v].forEach(function (c) {
        if (c[0] < from || c[0] > to) return;
        n += c[1];
        vis.push(c[2]);
      });
      if (n === 0) continue;
      var visitorDays = sumVisitors(vis);
      if (visitorDays !== null) withVisitors = true;
      rows.push({ value: t.values[v], n: n, visitors: visitorDays });
      total += n;
    }
    rows.sort(function (a, b) { return b.n - a.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0); });

    var section = el("section");
    section.setAttribute("data-column", t.column);
    var h2 = el("h2", "", t.title + " ");
    h2.appendChild(el("small", "", t.column + " · " + fmt(rows.length) + (rows.length === 1 ? " value" : " values")));
    section.appendChild(h2);
    if (rows.length === 0) {
      section.appendChild(el("p", "empty", "No requests in this range."));
      return section;
    }
    var table = el("table"), head = el("tr");
    head.appendChild(el("th", "", "Value"));
    head.appendChild(el("th", "n", "Requests"));
    head.appendChild(el("th", "n", "Share"));
    if (withVisitors) head.appendChild(el("th", "n", "Visitor-days"));
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    var limit = showAll[index] ? rows.length : Math.min(rows.length, SHOWN);
    var topN = rows[0].n;
    for (var i = 0; i < limit; i++) {
      var r = rows[i], tr = el("tr");
      tr.appendChild(valueCell(r.value));
      tr.appendChild(el("td", "n", fmt(r.n)));
      var share = el("td", "n"), barEl = el("span", "share");
      barEl.style.width = Math.max(1, Math.round(60 * r.n / topN)) + "px";
      share.appendChild(barEl);
      share.appendChild(document.createTextNode((100 * r.n / total).toFixed(1) + "%"));
      tr.appendChild(share);
      if (withVisitors) tr.appendChild(el("td", "n", r.visitors === null ? "unknown" : fmt(r.visitors)));
      body.appendChild(tr);
    }
    if (rows.length > limit) {
      var rest = 0;
      for (var j = limit; j < rows.length; j++) rest += rows[j].n;
      var more = el("tr", "more"), td = el("td");
      td.colSpan = withVisitors ? 4 : 3;
      td.appendChild(document.createTextNode(fmt(rows.length - limit) + " more values, " + fmt(rest) + " requests "));
      var button = el("button", "", "show all");
      button.type = "button";
      button.addEventListener("click", function () { showAll[index] = true; renderTables(); });
      td.appendChild(button);
      more.appendChild(td);
      body.appendChild(more);
    }
    section.appendChild(table);
    return section;
  }

  function renderTables() {
    var box = clear($("tables"));
    data.tables.forEach(function (t, i) { box.appendChild(renderTable(t, i)); });
  }

  function render() {
    var total = 0, vis = [];
    for (var d = from; d <= to; d++) {
      total += requests[d];
      if (visitors) vis.push(visitors[d]);
    }
    $("from").value = dates[from] || "";
    $("to").value = dates[to] || "";
    var days = Math.max(0, to - from + 1);
    $("range").textContent = days ? dates[from] + " to " + dates[to] : "no dates";
    renderCards(total, days, visitors ? sumVisitors(vis) : null);
    renderChart();
    renderDays();
    renderTables();
  }

  // pick sets the range to the dates from a to b (YYYY-MM-DD, "" for
  // the first or last date), within the data's.
  function pick(a, b) {
    if (a && b && a > b) { var t = a; a = b; b = t; }
    from = 0;
    while (a && from < dates.length && dates[from] < a) from++;
    to = dates.length - 1;
    while (b && to >= 0 && dates[to] > b) to--;
    render();
  }

  function last(days) {
    pick(dates[Math.max(0, dates.length - days)] || "", "");
  }

  $("from").min = $("to").min = dates[0] || "";
  $("from").max = $("to").max = dates[dates.length - 1] || "";
  $("from").addEventListener("change", function () { pick($("from").value, $("to").value); });
  $("to").addEventListener("change", function () { pick($("from").value, $("to").value); });
  $("last7").addEventListener("click", function () { last(7); });
  $("last30").addEventListener("click", function () { last(30); });
  $("all").addEventListener("click", function () { pick("", ""); });
  if (!visitors) $("days-visitors").remove();
  render();
})();

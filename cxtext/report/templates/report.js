(function () {
  "use strict";
  /* The report's drill-down, filters and CSV downloads. Data comes only from the cxtext-data JSON
     block and is written only as text (textContent, setAttribute of numbers): no HTML is parsed. */
  var D = JSON.parse(document.getElementById("cxtext-data").textContent);
  var objects = function (table) {  // {columns, rows} to one object per row
    return table.rows.map(function (values) {
      var o = Object.create(null);
      table.columns.forEach(function (c, i) { o[c] = values[i]; });
      return o;
    });
  };
  D.pains = objects(D.pains);
  D.segments = objects(D.segments);
  var byId = function (id) { return document.getElementById(id); };
  var lookup = function (pairs, key) {
    for (var i = 0; i < pairs.length; i++) { if (pairs[i][0] === key) { return pairs[i][1]; } }
    return key;
  };
  var index = function (pairs, key) {
    for (var i = 0; i < pairs.length; i++) { if (pairs[i][0] === key) { return i; } }
    return -1;
  };
  var stageName = function (s) { return lookup(D.stages, s); };
  var themeName = function (t) { return lookup(D.themes, t); };
  var num = function (v, digits) {
    return v === null || v === undefined ? "–" : Number(v).toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  };
  var pct = function (v) { return v === null || v === undefined ? "–" : num(100 * v, 1) + "%"; };
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== null && text !== undefined) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function row(tbody, cells) {  // cells: [label, text or element, numeric?]
    var tr = el("tr");
    cells.forEach(function (c) {
      var td = el("td", typeof c[1] === "object" ? null : c[1], c[2] ? "num" : null);
      if (typeof c[1] === "object" && c[1] !== null) { td.appendChild(c[1]); }
      td.setAttribute("data-label", c[0]);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function themeLink(stage, theme) {
    var b = el("button", themeName(theme), "link");
    b.type = "button";
    b.dataset.stage = String(index(D.stages, stage));  // indexes, never data, in attributes
    b.dataset.theme = String(index(D.themes, theme));
    return b;
  }
  function quotes(list) {
    var div = el("div");
    (list || []).forEach(function (q) { div.appendChild(el("p", "“" + q + "”", "quote")); });
    return div;
  }

  /* Filters of the pain-point table: a period (all, a month, a week) or a segment (all the data). */
  var period = byId("period"), segment = byId("segment"), painBody = byId("pain-table").tBodies[0];
  var periods = [], seen = {};
  D.pains.forEach(function (p) {
    var key = p.period + "|" + (p.period_start || "");
    if (!seen[key]) {
      seen[key] = true;
      periods.push(p);
      var label = p.period === "all" ? "all the data" : p.period + " of " + p.period_start + (p.partial ? " (partial: " + p.days + " days)" : "");
      var o = el("option", label);
      o.value = key;
      period.appendChild(o);
    }
  });
  var segments = [];
  seen = {};
  D.segments.forEach(function (s) {
    var key = s.dimension + "\u0000" + s.segment;
    if (!seen[key]) {
      seen[key] = true;
      var o = el("option", s.dimension + ": " + s.segment);
      o.value = String(segments.length);
      segments.push([s.dimension, s.segment]);
      segment.appendChild(o);
    }
  });
  function showPains() {
    var note = byId("pain-note");
    painBody.textContent = "";
    if (segment.value !== "") {
      var sg = segments[Number(segment.value)];
      period.disabled = true;
      note.textContent = "Segment " + sg[0] + ": " + sg[1] + ", over all the data: share of its feedback complaining about each theme, against the rest.";
      D.segments.filter(function (s) { return s.level === "theme" && s.dimension === sg[0] && s.segment === sg[1]; })
        .forEach(function (s) {
          row(painBody, [["stage", stageName(s.stage)], ["theme", themeLink(s.stage, s.theme)],
            ["negative feedback", num(s.negative_feedback, 0), true], ["complaining", pct(s.share_negative)],
            ["rest", pct(s.rest_share_negative), true],
            ["difference", (s.difference > 0 ? "+" : "") + num(s.difference, 1) + " points" + (s.significant ? " (significant)" : ""), true],
            ["what customers say", quotes(s.quotes)]]);
        });
      return;
    }
    period.disabled = false;
    var parts = period.value.split("|");
    var chosen = D.pains.filter(function (p) { return p.period === parts[0] && (p.period_start || "") === parts[1]; });
    note.textContent = chosen.length && chosen[0].partial ? "A partial period: the data covers " + chosen[0].days + " of its days; counts are for those days, the pain score (a share of the period's feedback) stays comparable." : "";
    chosen.forEach(function (p) {
      row(painBody, [["stage", stageName(p.stage)], ["theme", themeLink(p.stage, p.theme)],
        ["negative mentions", num(p.negative_mentions, 0), true], ["negative share", pct(p.share_negative)],
        ["pain score", num(p.pain_score, 2), true],
        ["NPS impact", p.nps_impact === null ? (p.nps_responses ? "too few NPS answers (" + p.nps_responses + ")" : "no NPS answers") : (p.nps_impact > 0 ? "+" : "") + num(p.nps_impact, 1)],
        ["what customers say", quotes(lookup(D.quotes.map(function (q) { return [q[0] + "\u0000" + q[1], q[2]]; }), p.stage + "\u0000" + p.theme).slice(0, 3))]]);
    });
  }
  period.addEventListener("change", showPains);
  segment.addEventListener("change", showPains);
  byId("pain-tools").hidden = false;

  /* Drill-down: a stage or a theme's weekly trend, its segments and its quotes. */
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function chart(points, w) {  // points: [week, negative mentions, days]; partial weeks as rate per day × 7
    var h = 200, left = 40, right = 40, bottom = 24;
    var values = points.map(function (p) { return p[1] * 7 / p[2]; });
    var peak = Math.max.apply(null, values.concat([1]));
    var step = (w - left - right) / Math.max(1, points.length - 1);
    var s = svg("svg", {viewBox: "0 0 " + w + " " + h, width: w, height: h, "class": "dchart", role: "img", "aria-label": "weekly negative mentions"});
    var xy = values.map(function (v, i) { return [left + i * step, h - bottom - v / peak * (h - bottom - 10)]; });
    for (var i = 1; i < xy.length; i++) {
      var dashed = points[i][2] < 7 || points[i - 1][2] < 7;
      s.appendChild(svg("line", {x1: xy[i - 1][0], y1: xy[i - 1][1], x2: xy[i][0], y2: xy[i][1], stroke: "#cc4125", "stroke-width": 2.5, "stroke-dasharray": dashed ? "5 4" : "none"}));
    }
    [0, 0.5, 1].forEach(function (f) {
      var t = svg("text", {x: 4, y: h - bottom - f * (h - bottom - 10) + 4, "font-size": 11, fill: "#888"});
      t.textContent = num(peak * f, 0);
      s.appendChild(t);
    });
    points.forEach(function (p, i) {
      if ((points.length - 1 - i) % (w < 600 ? 6 : 3) !== 0) { return; }
      var t = svg("text", {x: xy[i][0], y: h - 6, "font-size": 11, fill: "#888", "text-anchor": i === points.length - 1 ? "end" : "middle"});
      t.textContent = p[0].slice(5) + (p[2] < 7 ? "*" : "");
      s.appendChild(t);
    });
    return s;
  }
  function drill(stage, theme) {
    var detail = byId("detail"), body = byId("detail-segments").tBodies[0], box = byId("detail-quotes");
    byId("detail-title").textContent = theme ? themeName(theme) + " (" + stageName(stage) + ")" : stageName(stage);
    byId("detail-lead").textContent = "Negative mentions per week (a partial week, *, as its rate per day × 7, dashed).";
    var points = lookup(theme ? D.theme_trends : D.stage_trends, theme || stage);
    var holder = byId("detail-chart");
    holder.textContent = "";
    detail.hidden = false;  // laid out first, so the chart can take the section's width
    if (Array.isArray(points) && points.length) { holder.appendChild(chart(points, Math.max(300, Math.min(900, holder.clientWidth || 900)))); }
    body.textContent = "";
    D.segments.filter(function (s) { return s.stage === stage && (theme ? s.level === "theme" && s.theme === theme : s.level === "stage"); })
      .sort(function (a, b) { return Math.abs(b.z || 0) - Math.abs(a.z || 0); })
      .forEach(function (s) {
        row(body, [["dimension", s.dimension], ["segment", s.segment], ["feedback", num(s.feedback, 0), true],
          ["complaining", pct(s.share_negative), true], ["rest", pct(s.rest_share_negative), true],
          ["difference", (s.difference > 0 ? "+" : "") + num(s.difference, 1) + (s.significant ? " (significant)" : ""), true],
          ["z", num(s.z, 2), true]]);
      });
    box.textContent = "";
    var list = [];
    D.quotes.forEach(function (q) { if (q[0] === stage && (!theme || q[1] === theme)) { list = list.concat(q[2]); } });
    box.appendChild(quotes(list.slice(0, 50)));
    if (!list.length) { box.appendChild(el("p", "No negative quotes.", "muted")); }
    detail.hidden = false;
    detail.scrollIntoView();
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-stage],[data-csv]") : null;
    if (!target) { return; }
    if (target.dataset.csv) { download(byId(target.dataset.csv)); return; }
    var stage = D.stages[Number(target.dataset.stage)], theme = D.themes[Number(target.dataset.theme)];
    if (stage) { drill(stage[0], target.dataset.theme === undefined ? null : (theme || [null])[0]); }
  });

  /* Download of a table as shown, as CSV built here (a Blob); cells that a spreadsheet would read as
     a formula are prefixed with an apostrophe. */
  function cell(text) {
    var t = text.replace(/\s+/g, " ").trim();
    if (/^[=+\-@\t\r]/.test(t)) { t = "'" + t; }
    return /[",\n]/.test(t) ? "\"" + t.replace(/"/g, "\"\"") + "\"" : t;
  }
  function download(table) {
    var lines = Array.prototype.map.call(table.rows, function (r) {
      return Array.prototype.map.call(r.cells, function (c) { return cell(c.textContent); }).join(",");
    });
    var url = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"}));
    var a = document.createElement("a");
    a.download = (table.id || "table") + ".csv";
    a.href = url;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
})();

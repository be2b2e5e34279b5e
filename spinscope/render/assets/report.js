(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("spinscope-data").textContent);
  var TECH = data.t;   // [label, name, definition, colour] per technique
  var SPANS = data.s;  // [technique index, score, start, end, explanation] per span
  var LEN = data.n, WORDS = data.w;
  var hiddenTech = {};
  var threshold = 0;   // percent; spans scoring below it are hidden
  var segs = Array.prototype.slice.call(document.querySelectorAll("#article .seg"));
  var segSpans = segs.map(function (m) {
    return m.getAttribute("data-s").split(" ").map(Number);
  });
  var tip = document.getElementById("tip");
  var current = null, hideTimer = null;

  function visible(i) {
    var s = SPANS[i];
    return !hiddenTech[s[0]] && Math.round(s[1] * 10000) >= threshold * 100;
  }

  // Same greedy track assignment as spinscope.report.span_tracks: each span keeps one underline level.
  function tracks(ids) {
    var order = ids.slice().sort(function (a, b) {
      var x = SPANS[a], y = SPANS[b];
      return (x[2] - y[2]) || ((y[3] - y[2]) - (x[3] - x[2])) || (a - b);
    });
    var ends = [], out = {};
    order.forEach(function (i) {
      var k = 0;
      while (k < ends.length && ends[k] > SPANS[i][2]) k++;
      ends[k] = SPANS[i][3];
      out[i] = k;
    });
    return out;
  }

  function shadow(ids, track) {
    var byLevel = {}, max = -1;
    ids.forEach(function (i) { byLevel[track[i]] = i; if (track[i] > max) max = track[i]; });
    var parts = [];
    for (var k = 0; k <= max; k++) {
      var c = byLevel[k] === undefined ? "var(--bg)" : TECH[SPANS[byLevel[k]][0]][3];
      parts.push("0 " + (4 * k + 3) + "px 0 0 " + c);
      parts.push("0 " + (4 * k + 4) + "px 0 0 var(--bg)");
    }
    return parts.join(",");
  }

  function update() {
    var shown = [];
    for (var i = 0; i < SPANS.length; i++) if (visible(i)) shown.push(i);
    var track = tracks(shown);
    segs.forEach(function (m, j) {
      var ids = segSpans[j].filter(visible);
      if (!ids.length) {
        m.classList.add("off"); m.classList.remove("multi");
        m.setAttribute("tabindex", "-1");
        m.style.boxShadow = ""; m.style.background = "";
        return;
      }
      ids.sort(function (a, b) { return track[a] - track[b]; });
      m.classList.remove("off");
      m.classList.toggle("multi", ids.length > 1);
      m.setAttribute("tabindex", "0");
      m.style.boxShadow = shadow(ids, track);
      m.style.background = TECH[SPANS[ids[0]][0]][3] + "22";
    });
    // counts (at this threshold, whether or not the technique is switched off)
    var counts = TECH.map(function () { return 0; });
    var nShown = 0, cover = [];
    SPANS.forEach(function (s, i) {
      if (Math.round(s[1] * 10000) >= threshold * 100) counts[s[0]]++;
      if (visible(i)) { nShown++; cover.push([s[2], s[3]]); }
    });
    document.querySelectorAll("[data-count]").forEach(function (el) {
      el.textContent = String(counts[+el.getAttribute("data-count")]);
    });
    var maxCount = +document.getElementById("chart").getAttribute("data-max") || 1;
    var barW = +document.getElementById("chart").getAttribute("data-w") || 1;
    document.querySelectorAll("#chart .bar").forEach(function (r) {
      var t = +r.getAttribute("data-t");
      r.setAttribute("width", (barW * counts[t] / maxCount).toFixed(1));
      r.classList.toggle("off", !!hiddenTech[t]);
    });
    document.querySelectorAll("#spans tbody tr").forEach(function (tr) {
      tr.classList.toggle("off", !visible(+tr.getAttribute("data-i")));
    });
    cover.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, end = -1;
    cover.forEach(function (c) {
      if (c[1] <= end) return;
      covered += c[1] - Math.max(c[0], end);
      end = c[1];
    });
    setText("st-spans", String(nShown));
    var techs = {};
    SPANS.forEach(function (s, i) { if (visible(i)) techs[s[0]] = true; });
    setText("st-techs", String(Object.keys(techs).length));
    setText("st-share", LEN ? (100 * covered / LEN).toFixed(1) + "%" : "0.0%");
    setText("st-per100", WORDS ? (100 * nShown / WORDS).toFixed(1) : "0.0");
    setText("shown", nShown === SPANS.length ? "all " + SPANS.length + " spans shown"
      : nShown + " of " + SPANS.length + " spans shown");
    if (current && current.classList.contains("off")) hideTip();
    else if (current) fillTip(current);
  }

  function setText(id, s) { var el = document.getElementById(id); if (el) el.textContent = s; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fillTip(m) {
    var j = segs.indexOf(m);
    var ids = segSpans[j].filter(visible);
    tip.textContent = "";
    ids.forEach(function (i) {
      var s = SPANS[i], t = TECH[s[0]];
      var it = el("div", "it"), hd = el("div", "hd"), sw = el("span", "sw");
      sw.style.background = t[3];
      hd.appendChild(sw);
      hd.appendChild(el("span", "nm", t[1]));
      hd.appendChild(el("span", "pc", Math.round(s[1] * 100) + "%"));
      it.appendChild(hd);
      if (t[2]) it.appendChild(el("p", "df", t[2]));
      if (s[4]) it.appendChild(el("p", "ex", s[4]));
      tip.appendChild(it);
    });
  }

  function showTip(m) {
    if (m.classList.contains("off")) return;
    clearTimeout(hideTimer);
    current = m;
    fillTip(m);
    tip.hidden = false;
    var r = m.getClientRects()[0] || m.getBoundingClientRect();
    var sx = window.pageXOffset, sy = window.pageYOffset;
    var w = tip.offsetWidth, h = tip.offsetHeight, vw = document.documentElement.clientWidth;
    var left = Math.max(sx + 8, Math.min(r.left + sx, sx + vw - w - 8));
    var top = r.bottom + sy + 10;
    if (r.bottom + h + 14 > window.innerHeight && r.top - h - 10 > 0) top = r.top + sy - h - 10;
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hideTip() {
    tip.hidden = true;
    current = null;
  }

  segs.forEach(function (m) {
    m.addEventListener("mouseenter", function () { showTip(m); });
    m.addEventListener("mouseleave", function () {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { if (current === m && document.activeElement !== m) hideTip(); }, 120);
    });
    m.addEventListener("focus", function () { showTip(m); });
    m.addEventListener("blur", function () { if (current === m) hideTip(); });
  });
  tip.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
  tip.addEventListener("mouseleave", function () { hideTip(); });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && !tip.hidden) { hideTip(); e.preventDefault(); }
  });

  document.querySelectorAll(".lg").forEach(function (b) {
    b.addEventListener("click", function () {
      var t = +b.getAttribute("data-t");
      var on = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) delete hiddenTech[t]; else hiddenTech[t] = true;
      update();
    });
  });
  var slider = document.getElementById("thr");
  if (slider) {
    var out = document.getElementById("thr-out");
    var onInput = function () {
      threshold = +slider.value;
      out.textContent = threshold + "%";
      update();
    };
    slider.addEventListener("input", onInput);
    slider.addEventListener("change", onInput);
    var all = document.getElementById("thr-all");
    if (all) all.addEventListener("click", function () { slider.value = "0"; onInput(); });
    if (+slider.value) onInput();
  }
  document.documentElement.classList.add("js");
})();

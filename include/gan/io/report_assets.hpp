#pragma once
/// The style sheet and the script that the training report's page (report_page.hpp)
/// carries inline, so that it needs no other file and no network.
///
/// The script adds what a static page cannot: the values under the mouse on a chart (read
/// from each chart's data-chart JSON), and a slider, buttons, a play mode and clickable
/// thumbnails to step through the sample grids. It writes text only through textContent,
/// never as HTML. When it has run, it marks the page: <body data-report-ready="ok"> and
/// #report-check with the number of charts, of images and of images decoded (and the alt
/// text of any that did not decode), and where
/// the first chart and the grid viewer are drawn (x, y, width, height in CSS pixels) —
/// which the browser test reads back.

namespace gan::detail {

inline constexpr const char* report_css = R"css(
:root{--bg:#f4f6f8;--card:#fff;--text:#1d2430;--muted:#5f6b7a;--grid:#e6e9ee;--axis:#a3acb9;
--accent:#4e79a7;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.10)}
@media (prefers-color-scheme:dark){:root{--bg:#121418;--card:#1c1f25;--text:#e4e7eb;--muted:#9aa5b4;
--grid:#2b3038;--axis:#5a6472;--shadow:none}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1320px;margin:0 auto;padding:20px 24px 32px}
header{margin-bottom:18px}
.title-row{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:23px;margin:0;font-weight:650}
h2{font-size:17px;margin:26px 0 10px;font-weight:650}
h3{font-size:14px;margin:0 0 2px;font-weight:600}
.badge{font-size:12px;font-weight:600;padding:3px 10px;border-radius:999px;text-transform:uppercase;
letter-spacing:.05em}
.badge.running{background:#e3eefa;color:#1c5a9e}.badge.finished{background:#e2f4e8;color:#1b7339}
.badge.interrupted{background:#fff1dc;color:#9a5300}.badge.failed{background:#fde8e7;color:#b42318}
.sub{color:var(--muted);margin-top:6px}
.note{margin-top:6px}
.progress{height:6px;background:var(--grid);border-radius:3px;overflow:hidden;margin-top:10px;
max-width:520px}
.progress>div{height:100%;background:var(--accent)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(158px,1fr));gap:12px}
.card{background:var(--card);border-radius:10px;padding:11px 14px;box-shadow:var(--shadow)}
.card.final{border-top:3px solid #59a14f}
.card .label{color:var(--muted);font-size:12.5px;font-weight:500}
.card .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.card .sub{font-size:12px;margin-top:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(500px,1fr));gap:16px}
.panel{margin:0;background:var(--card);border-radius:10px;padding:12px 14px 10px;
box-shadow:var(--shadow)}
.panel figcaption{color:var(--muted);font-size:12px;margin-top:2px}
.muted{color:var(--muted)}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--text);font-size:12px}
svg.chart .tick{fill:var(--muted);font-size:11px;font-variant-numeric:tabular-nums}
svg.chart .axis-label{fill:var(--muted)}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .axis{stroke:var(--axis);stroke-width:1}
svg.chart .plot-bg{fill:var(--card)}
svg.chart .line{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
svg.chart .band{opacity:.17;stroke:none}
svg.chart .faint{fill:none;stroke-width:1;opacity:.28;stroke-linejoin:round}
svg.chart .dot{stroke:var(--card);stroke-width:1.5}
svg.chart .mark{stroke:var(--axis);stroke-dasharray:2 4}
svg.chart .mark-label{fill:var(--muted);font-size:10px}
svg.chart .empty{fill:var(--muted);font-size:14px}
svg.chart .guide{stroke:var(--axis);stroke-width:1;stroke-dasharray:3 3}
#tip{position:absolute;pointer-events:none;display:none;background:var(--card);color:var(--text);
border:1px solid var(--grid);border-radius:6px;padding:6px 9px;font-size:12px;white-space:nowrap;
box-shadow:0 4px 12px rgba(16,24,40,.15);z-index:2}
#tip .tip-head{font-weight:600;margin-bottom:2px}
#tip .sw{display:inline-block;width:9px;height:9px;border-radius:2px;margin-right:6px}
.samples{background:var(--card);border-radius:10px;padding:14px;box-shadow:var(--shadow)}
.viewer{display:flex;flex-direction:column;align-items:center;gap:10px}
.viewer img{image-rendering:pixelated;max-width:100%;height:auto;border-radius:4px}
.controls{display:flex;align-items:center;gap:8px;width:100%;max-width:680px}
.controls input[type=range]{flex:1}
.controls button{font:inherit;padding:3px 10px;border-radius:6px;border:1px solid var(--axis);
background:var(--card);color:var(--text);cursor:pointer}
#grid-label{min-width:150px;text-align:right;font-variant-numeric:tabular-nums}
.strip{position:relative;display:flex;gap:6px;overflow-x:auto;padding:10px 2px 4px}
.thumb{margin:0;flex:0 0 auto;cursor:pointer;text-align:center;border:2px solid transparent;
border-radius:6px;padding:2px}
.thumb img{height:64px;display:block;image-rendering:pixelated}
.thumb.current{border-color:var(--accent)}
.thumb figcaption{font-size:11px;color:var(--muted);font-variant-numeric:tabular-nums}
table.kv{border-collapse:collapse;width:100%;background:var(--card);border-radius:10px;
box-shadow:var(--shadow);overflow:hidden}
table.kv td{padding:6px 12px;border-bottom:1px solid var(--grid);vertical-align:top}
table.kv td.k{color:var(--muted);width:28%}
table.kv td.v{font-family:ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
footer{color:var(--muted);font-size:12px;margin-top:28px}
)css";

inline constexpr const char* report_js = R"js(
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var tip = document.getElementById('tip');
  function fmt(v) {
    if (v === null || v === undefined) return 'n/a';
    var a = Math.abs(v);
    if (a >= 1e4) return Math.round(v).toLocaleString('en-US');
    if (a !== 0 && a < 1e-3) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid; else hi = mid;
    }
    return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
  }
  function attach(svg) {
    var d = JSON.parse(svg.getAttribute('data-chart')), p = d.plot;
    var guide = document.createElementNS(NS, 'line');
    guide.setAttribute('class', 'guide');
    guide.setAttribute('y1', p[1]);
    guide.setAttribute('y2', p[1] + p[3]);
    guide.style.display = 'none';
    svg.appendChild(guide);
    function hide() { guide.style.display = 'none'; tip.style.display = 'none'; }
    svg.addEventListener('mouseleave', hide);
    svg.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect();
      var mx = (ev.clientX - r.left) * d.w / r.width - p[0];
      if (mx < 0 || mx > p[2]) { hide(); return; }
      var x = d.x0 + mx / p[2] * (d.x1 - d.x0), best = null, rows = [];
      d.s.forEach(function (s) {
        if (!s.x.length) return;
        var i = nearest(s.x, x);
        if (s.y[i] === null) return;
        if (best === null || Math.abs(s.x[i] - x) < Math.abs(best - x)) best = s.x[i];
        rows.push([s, i]);
      });
      if (best === null) { hide(); return; }
      var gx = p[0] + (best - d.x0) / (d.x1 - d.x0) * p[2];
      guide.setAttribute('x1', gx);
      guide.setAttribute('x2', gx);
      guide.style.display = '';
      tip.textContent = '';
      var head = document.createElement('div');
      head.className = 'tip-head';
      head.textContent = d.xl + ' ' + fmt(best);
      tip.appendChild(head);
      rows.forEach(function (ri) {
        var s = ri[0], i = ri[1], line = document.createElement('div');
        var sw = document.createElement('span');
        sw.className = 'sw';
        sw.style.background = s.c;
        line.appendChild(sw);
        line.appendChild(document.createTextNode(
            s.n + ': ' + fmt(s.y[i]) +
            (s.r && s.r[i] !== null ? '  (this point ' + fmt(s.r[i]) + ')' : '') +
            (s.x[i] !== best ? '  (at ' + fmt(s.x[i]) + ')' : '')));
        tip.appendChild(line);
      });
      tip.style.display = 'block';
      var left = ev.pageX + 14;
      if (left + tip.offsetWidth > window.scrollX + document.documentElement.clientWidth)
        left = ev.pageX - 14 - tip.offsetWidth;
      tip.style.left = left + 'px';
      tip.style.top = (ev.pageY + 12) + 'px';
    });
  }
  function grids() {
    var thumbs = document.querySelectorAll('#strip .thumb');
    var view = document.getElementById('grid-view');
    if (!thumbs.length || !view) return;
    var slider = document.getElementById('grid-slider'), label = document.getElementById('grid-label');
    var play = document.getElementById('grid-play'), strip = document.getElementById('strip');
    var timer = null, current = -1;
    function show(i) {
      i = Math.max(0, Math.min(thumbs.length - 1, i));
      if (current >= 0) thumbs[current].classList.remove('current');
      current = i;
      var t = thumbs[i];
      t.classList.add('current');
      view.src = t.querySelector('img').src;
      label.textContent = t.getAttribute('data-label');
      slider.value = String(i);
      if (t.offsetLeft < strip.scrollLeft ||
          t.offsetLeft + t.offsetWidth > strip.scrollLeft + strip.clientWidth)
        strip.scrollLeft = t.offsetLeft - strip.clientWidth / 2;
    }
    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      play.textContent = '\u25B6 play';
    }
    slider.addEventListener('input', function () { stop(); show(Number(slider.value)); });
    document.getElementById('grid-prev').addEventListener('click', function () { stop(); show(current - 1); });
    document.getElementById('grid-next').addEventListener('click', function () { stop(); show(current + 1); });
    play.addEventListener('click', function () {
      if (timer !== null) { stop(); return; }
      if (current === thumbs.length - 1) show(0);
      play.textContent = '\u275A\u275A pause';
      timer = setInterval(function () {
        if (current === thumbs.length - 1) stop(); else show(current + 1);
      }, 350);
    });
    Array.prototype.forEach.call(thumbs, function (t, k) {
      t.addEventListener('click', function () { stop(); show(k); });
    });
    show(thumbs.length - 1);
  }
  function rect(el) {
    if (!el) return '';
    var r = el.getBoundingClientRect();
    return [Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY),
            Math.round(r.width), Math.round(r.height)].join(',');
  }
  function check(decoded) {
    var images = document.images, m = document.getElementById('report-check');
    m.setAttribute('data-charts', String(document.querySelectorAll('svg.chart').length));
    m.setAttribute('data-images', String(images.length));
    m.setAttribute('data-images-decoded', String(decoded));
    m.setAttribute('data-chart-rect', rect(document.querySelector('svg.chart')));
    m.setAttribute('data-viewer-rect', rect(document.getElementById('grid-view')));
    document.body.setAttribute('data-report-ready', 'ok');
  }
  Array.prototype.forEach.call(document.querySelectorAll('svg.chart[data-chart]'), attach);
  grids();
  // Counted at the load event, which waits for every image (an image set before it, as the
  // viewer's is, delays it too).
  function counted() {
    var failed = [], decoded = 0;
    for (var i = 0; i < document.images.length; ++i) {
      var img = document.images[i];
      if (img.complete && img.naturalWidth > 0) ++decoded; else failed.push(img.alt || '#' + i);
    }
    document.getElementById('report-check').setAttribute('data-images-failed', failed.join(', '));
    check(decoded);
  }
  if (document.readyState === 'complete') counted(); else window.addEventListener('load', counted);
})();
)js";

}  // namespace gan::detail

// Argus Edge dashboard behaviour. Loaded from <head> without defer so the saved theme applies before the
// first paint; everything else waits for the DOM. No inline script anywhere (CSP script-src 'self').
(function () {
  'use strict';
  var THEME_KEY = 'argus-theme';
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem(THEME_KEY);
    if (saved === 'dark' || saved === 'light') root.setAttribute('data-theme', saved);
  } catch (e) { /* storage disabled: follow the system */ }

  function currentTheme() {
    var t = root.getAttribute('data-theme');
    if (t === 'dark' || t === 'light') return t;
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }

  function cssVar(name) {
    return getComputedStyle(root).getPropertyValue(name).trim() || '#888';
  }

  // ---- charts (uPlot) -------------------------------------------------------------------------------
  var charts = [];

  function fmtBytes(v) {
    if (v == null) return '';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (Math.abs(v) < 10 && i > 0 ? v.toFixed(1) : Math.round(v)) + ' ' + u[i];
  }

  // an axis as wide as its longest label (a fixed width cut "10000.0%" to "0000.0%")
  function axisSize(u, values, axisIdx, cycleNum) {
    var a = u.axes[axisIdx];
    if (cycleNum > 1) return a._size;
    var longest = 0;
    (values || []).forEach(function (v) { longest = Math.max(longest, String(v).length); });
    return Math.max(40, Math.ceil(longest * 7.2) + 18);
  }

  function axis(scale, fmt, side) {
    var a = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line'), width: 1 }, ticks: { stroke: cssVar('--line') }, size: axisSize };
    // no axis titles: the legend names the series, and a title crowds the values on a phone
    if (fmt) a.values = function (u, vals) { return vals.map(fmt); };
    if (side) { a.side = side; a.grid = { show: false }; }
    if (scale) a.scale = scale;
    return a;
  }

  // bars show a lone hourly bucket, which a line cannot
  function bars() {
    return uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 24] }) : undefined;
  }

  /**
   * The x range of a time series: its own span, at least `minSpan` seconds wide and centred on the data when
   * shorter (uPlot widens a single instant to 1,000 days: points sharing a timestamp spanned 2026 to 2028).
   */
  function timeSpan(t, minSpan) {
    var lo = t[0], hi = t[t.length - 1];
    if (hi - lo < minSpan) { var mid = (lo + hi) / 2; return [mid - minSpan / 2, mid + minSpan / 2]; }
    var pad = (hi - lo) * 0.02;
    return [lo - pad, hi + pad];
  }

  // a whole-number scale from 0 to a little above its largest value (at least 1)
  function countRange(u, min, max) { return [0, Math.max(1, Math.ceil((max || 0) * 1.1))]; }

  // a share in [0, 1]: from 0 to a little above its largest value, never past 100 %
  function shareRange(u, min, max) { return [0, Math.min(1, Math.max(0.001, (max || 0) * 1.15))]; }

  // bars at the middle of their bucket, and a range that holds the last bucket whole (not cut at "now")
  function centred(t, bucketS) { return t.map(function (x) { return x + bucketS / 2; }); }
  function bucketRange(d, t, bucketS) { return [d.fromS, Math.max(d.toS, t.length ? t[t.length - 1] + bucketS : d.toS)]; }

  // the hovered time: the viewer's own clock first, UTC beside it (the pages' text times are UTC)
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function fmtHoverTime(u, v) {
    if (v == null) return '--';
    var d = new Date(v * 1000);
    var local = d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    var utc = pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + (d.getUTCDate() !== d.getDate() ? ' ' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) : '');
    return local + ' (' + utc + ' UTC)';
  }

  function fmtCount(v) { return v == null ? '' : Math.round(v).toLocaleString('en'); }

  // 0.5 % → "0.5%", 0.0004 → "0.04%": as many decimals as the size needs, no more
  function fmtShare(v) {
    if (v == null) return '';
    var p = v * 100;
    var d = p === 0 || p >= 10 ? 0 : p >= 1 ? 1 : p >= 0.1 ? 2 : 3;
    return p.toFixed(d) + '%';
  }

  function empty(el, text) {
    el.textContent = '';
    var p = document.createElement('p');
    p.className = 'chart-empty';
    p.textContent = text;
    el.appendChild(p);
  }

  function makeChart(el, opts, data) {
    if (typeof uPlot === 'undefined') { empty(el, 'Chart library not loaded.'); return null; }
    el.textContent = '';
    opts.width = Math.max(200, el.clientWidth);
    opts.height = 180;
    opts.axes = opts.axes || [axis(), axis()];
    opts.axes[0] = axis();
    opts.axes[0].size = 50; // the time axis: two lines of labels; axisSize measures the widths of y labels
    opts.legend = { live: true };
    // the time axis is drawn in the viewer's time zone (uPlot's default); the legend adds UTC
    opts.series[0] = Object.assign({ label: 'Time', value: fmtHoverTime }, opts.series[0]);
    if (opts.xRange) {
      opts.scales = opts.scales || {};
      opts.scales.x = { time: true, range: opts.xRange };
      delete opts.xRange;
    }
    var u = new uPlot(opts, data, el);
    el._uplot = u; // the browser tests read the drawn scales from here
    charts.push({ el: el, u: u });
    return u;
  }

  var DRAW = {
    traffic: function (el, d) {
      var s = d.traffic;
      if (!s.t.length) return empty(el, 'No traffic stored in this period.');
      makeChart(el, {
        xRange: bucketRange(d, s.t, 3600),
        scales: { bytes: { range: [0, null] }, flows: { range: [0, null] } },
        series: [{}, { label: 'bytes', scale: 'bytes', stroke: cssVar('--accent'), fill: cssVar('--accent') + '55', width: 1, paths: bars(), value: function (u, v) { return fmtBytes(v); } },
          { label: 'flows', scale: 'flows', stroke: cssVar('--warning'), width: 1.5 }],
        axes: [axis(), axis('bytes', fmtBytes), axis('flows', null, 1)],
      }, [centred(s.t, 3600), s.a, s.b]);
    },
    anomaly: function (el, d) {
      var s = d.anomaly;
      if (!s.t.length) return empty(el, 'No flows scored in this period.');
      var counts = axis('alerts', fmtCount, 1);
      counts.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
      var rate = axis('rate', fmtShare);
      rate.incrs = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5];
      var bucketS = d.bucketS || 1800;
      makeChart(el, {
        xRange: bucketRange(d, s.t, bucketS),
        scales: { rate: { range: shareRange }, alerts: { range: countRange } },
        series: [{}, { label: 'anomaly rate', scale: 'rate', stroke: cssVar('--critical'), width: 2, points: { show: s.t.length < 3, size: 6 }, value: function (u, v) { return v == null ? '—' : fmtShare(v); } },
          { label: 'anomalies', scale: 'alerts', stroke: cssVar('--alert'), fill: cssVar('--alert') + '55', width: 1, paths: bars(), value: function (u, v) { return fmtCount(v); } }],
        axes: [axis(), rate, counts],
      }, [centred(s.t, bucketS), s.a, s.b]);
    },
    trust: function (el, d) {
      if (!d.t.length) return empty(el, 'No change recorded yet: the score moves only when evidence about this device comes in.');
      makeChart(el, {
        xRange: timeSpan(d.t, 3600),
        scales: { score: { range: [0, 100] } },
        series: [{}, { label: 'trust', scale: 'score', stroke: cssVar('--accent'), width: 2.5, points: { show: d.t.length < 3 || d.t[0] === d.t[d.t.length - 1], size: 7 } },
          { label: 'behavioral', scale: 'score', stroke: cssVar('--normal'), width: 1, dash: [4, 3] },
          { label: 'vulnerability', scale: 'score', stroke: cssVar('--warning'), width: 1, dash: [4, 3] },
          { label: 'reputation', scale: 'score', stroke: cssVar('--alert'), width: 1, dash: [4, 3] }],
        axes: [axis(), axis('score')],
      }, [d.t, d.score, d.behavioral, d.vulnerability, d.reputation]);
    },
  };

  var live = { el: null, u: null, t: [], pps: [], bps: [], last: null };

  function initLive(el) {
    live.el = el;
    empty(el, 'Waiting for live statistics (they come every 2 s)…');
  }

  function onCaptureStats(ev) {
    if (!live.el) return;
    var s;
    try { s = JSON.parse(ev.detail && ev.detail.data); } catch (e) { return; }
    var prev = live.last;
    // a reading older than the last one (an answer held back) says nothing new
    if (prev && isOlder(s.taken, prev.taken)) return;
    live.last = s;
    if (!prev || s.tMs <= prev.tMs) return;
    // nothing arrives (a replay that has ended or is held, a quiet interface): say so instead of waiting on
    if (!live.u && s.packets === prev.packets) {
      empty(live.el, s.mode === 'replay' ? 'No packets are arriving now; this replay has read ' + fmtCount(s.packets) + ' packets.' : 'No packets have arrived since this page opened.');
      return;
    }
    // rates per wall-clock second, placed at the UI's clock (packet time in replay) like every other chart
    var x = s.tUs != null ? s.tUs / 1e6 : s.tMs / 1000;
    if (live.t.length && x <= live.t[live.t.length - 1]) return;
    var dt = (s.tMs - prev.tMs) / 1000;
    live.t.push(x);
    live.pps.push(Math.max(0, (s.packets - prev.packets) / dt));
    live.bps.push(Math.max(0, (s.bytes - prev.bytes) / dt));
    if (live.t.length > 150) { live.t.shift(); live.pps.shift(); live.bps.shift(); }
    var data = [live.t, live.pps, live.bps];
    if (!live.u) {
      live.u = makeChart(live.el, {
        scales: { pps: {}, bps: {} },
        series: [{}, { label: 'packets/s', scale: 'pps', stroke: cssVar('--accent'), width: 2, value: function (u, v) { return v == null ? '' : Math.round(v); } },
          { label: 'bytes/s', scale: 'bps', stroke: cssVar('--normal'), width: 1.5, value: function (u, v) { return fmtBytes(v); } }],
        axes: [axis(), axis('pps', function (v) { return Math.round(v); }), axis('bps', fmtBytes, 1)],
      }, data);
    } else {
      live.u.setData(data);
    }
  }

  function loadCharts() {
    var byUrl = {};
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      var kind = el.getAttribute('data-chart');
      if (kind === 'live') return initLive(el);
      var src = el.getAttribute('data-src');
      if (!src || !DRAW[kind]) return;
      (byUrl[src] = byUrl[src] || []).push({ el: el, kind: kind });
    });
    Object.keys(byUrl).forEach(function (src) {
      fetch(src, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
        .then(function (d) { byUrl[src].forEach(function (x) { DRAW[x.kind](x.el, d); }); })
        .catch(function (e) { byUrl[src].forEach(function (x) { empty(x.el, 'Chart data unavailable (' + e.message + ').'); }); });
    });
  }

  function resizeCharts() {
    charts.forEach(function (c) {
      if (c.el.isConnected) c.u.setSize({ width: Math.max(200, c.el.clientWidth), height: 180 });
    });
  }

  // ---- live readings: the newest stays, not the last to arrive --------------------------------------
  // A card stamped data-taken="<epoch>.<seq>" (src/web/live-stamp.ts) is a reading taken at that point of the
  // server's sequence. It reaches the page with the page itself, from the live stream and after every reconnect
  // of the stream, and an answer held back used to put an older packet count over a newer one. So a card older
  // than the one shown (same epoch, lower seq) is not swapped in; another epoch is a restarted server, whose
  // readings are the current ones.
  function parseStamp(v) {
    var dot = typeof v === 'string' ? v.lastIndexOf('.') : -1;
    return dot > 0 ? { epoch: v.slice(0, dot), seq: Number(v.slice(dot + 1)) } : null;
  }

  // stamp `a` was taken before stamp `b` (unknown or another epoch: not older)
  function isOlder(a, b) {
    var x = parseStamp(a), y = parseStamp(b);
    return x !== null && y !== null && x.epoch === y.epoch && x.seq < y.seq;
  }

  function olderThanShown(el) {
    var shown = document.getElementById(el.id);
    return shown !== null && isOlder(el.getAttribute('data-taken'), shown.getAttribute('data-taken'));
  }

  function keepNewest(ev) {
    var tasks = ev.detail && ev.detail.tasks;
    if (!tasks) return;
    for (var i = tasks.length - 1; i >= 0; i--) {
      var f = tasks[i].fragment;
      if (!f || !f.querySelectorAll) continue;
      var stale = Array.prototype.filter.call(f.querySelectorAll('[data-taken][id]'), olderThanShown);
      if (!stale.length) continue;
      // a swap of the stale card alone is dropped; in a larger one (a whole page) the card shown is kept
      if (f.children.length === 1 && f.firstElementChild === stale[0]) tasks.splice(i, 1);
      else stale.forEach(function (el) { el.replaceWith(document.getElementById(el.id).cloneNode(true)); });
    }
  }
  document.addEventListener('htmx:before:swap', keepNewest);

  // ---- toasts from the live stream: keep five, each for ten seconds ---------------------------------
  function watchToasts() {
    var box = document.getElementById('toasts');
    if (!box || !window.MutationObserver) return;
    new MutationObserver(function () {
      while (box.children.length > 5) box.removeChild(box.lastElementChild);
      Array.prototype.forEach.call(box.children, function (t) {
        if (t.getAttribute('data-timer')) return;
        t.setAttribute('data-timer', '1');
        setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 10000);
      });
    }).observe(box, { childList: true });
  }

  function init() {
    var toggle = document.getElementById('theme-toggle');
    if (toggle) {
      toggle.addEventListener('click', function () {
        var next = currentTheme() === 'dark' ? 'light' : 'dark';
        root.setAttribute('data-theme', next);
        try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* not saved: applies to this page only */ }
        // charts read their colours from the theme's variables when drawn
        charts.forEach(function (c) { c.u.destroy(); });
        charts = [];
        live.u = null;
        loadCharts();
      });
    }
    var liveEl = document.getElementById('live');
    if (liveEl) liveEl.addEventListener('capture-stats', onCaptureStats);
    // the overview's "no alerts yet" note goes once the first live alert arrives
    var recent = document.getElementById('recent-alerts');
    if (recent && window.MutationObserver) {
      new MutationObserver(function () {
        var none = document.getElementById('no-alerts');
        if (none && recent.children.length) none.parentNode.removeChild(none);
      }).observe(recent, { childList: true });
    }
    watchToasts();
    loadCharts();
    var pending = null;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(resizeCharts, 150);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

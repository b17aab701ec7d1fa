// shipproof dashboard client: draws the plots (uPlot) from each page's JSON data blocks and
// reloads the page when the evidence folder changes (server-sent events). Served as a file
// (the Content-Security-Policy allows no inline script); reads nothing but this origin.
'use strict';

(function () {
  function drawPlots() {
    if (typeof window.uPlot !== 'function') return;
    var areas = document.querySelectorAll('[data-plot]');
    for (var i = 0; i < areas.length; i++) {
      var area = areas[i];
      var block = document.getElementById(area.getAttribute('data-plot'));
      if (!block) continue;
      var d;
      try {
        d = JSON.parse(block.textContent || '{}');
      } catch (e) {
        continue;
      }
      var series = [{}, { label: d.title + ' (' + d.unit + ')', stroke: '#1f6feb', width: 2, points: { show: true, size: 6 } }];
      var data = [d.x, d.y];
      if (d.markLabel) {
        // Marked points (a sudden drop) as a second, points-only series in red.
        series.push({ label: d.markLabel, stroke: '#cf222e', width: 0, points: { show: true, size: 14, fill: '#cf222e' } });
        data.push(d.y.map(function (y, j) { return d.marks[j] ? y : null; }));
      }
      var opts = {
        width: Math.max(280, Math.min(area.clientWidth || 640, 900)),
        height: 220,
        series: series,
        axes: [{}, { label: d.unit }],
        scales: d.fromZero ? { y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } } } : {},
        legend: { show: true },
      };
      area.textContent = '';
      // eslint-disable-next-line no-new
      new window.uPlot(opts, data, area);
    }
  }

  function live() {
    if (typeof EventSource !== 'function') return;
    var shown = document.body.getAttribute('data-version');
    var status = document.getElementById('live');
    var es = new EventSource('/events');
    es.addEventListener('ledger', function (ev) {
      var s;
      try {
        s = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (s.version === shown) return;
      if (status) status.textContent = 'New evidence (' + s.entries + ' records' + (s.ok ? '' : ', ledger broken at #' + s.firstBad) + ') — updating…';
      es.close();
      window.location.reload();
    });
    es.onerror = function () {
      if (status) status.textContent = 'Live updates paused (the dashboard is not answering).';
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    drawPlots();
    live();
  });
})();

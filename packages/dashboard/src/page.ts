/**
 * The dashboard page: one self-contained document (no framework, no CDN, no external file).
 * It subscribes to `events` under the address it was loaded from (server-sent events), so that
 * it also works where a proxy serves it under a prefix the app does not see, and draws what
 * arrives. Everything written into the page goes through `textContent`, never `innerHTML`.
 */
export function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenSergo governance</title>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1200px; padding: 16px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 20px 0 6px; }
  .muted { color: #667; } .bad { color: #b42318; font-weight: 600; } .good { color: #067647; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e7ec; white-space: nowrap; }
  th { font-weight: 600; background: #eef0f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  canvas { width: 100%; height: 220px; background: #fff; border: 1px solid #e4e7ec; }
  .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 18px; height: 3px; margin-right: 4px; vertical-align: middle; }
  #status[data-state="live"] { color: #067647; } #status[data-state="lost"] { color: #b42318; }
</style>
</head>
<body>
<h1>OpenSergo governance</h1>
<div class="muted">live: <span id="status" data-state="connecting">connecting…</span> · rules <span id="rules">–</span> · store <span id="store">–</span></div>
<h2>Pass and block rates, last minutes (requests/s; dashed: blocked)</h2>
<canvas id="chart" width="1160" height="220"></canvas>
<div class="legend" id="legend"></div>
<h2>Resources</h2>
<table><thead><tr><th>resource</th><th>rule</th><th>strategy</th><th>kind</th><th>passed/s</th><th>blocked/s</th><th>would block/s</th><th>passed</th><th>blocked</th><th>in flight</th><th>state</th></tr></thead><tbody id="resources"></tbody></table>
<h2>Rules in force and their sources</h2>
<table><thead><tr><th>source</th><th>connected</th><th>documents</th><th>version</th><th>updated</th><th>last error</th></tr></thead><tbody id="sources"></tbody></table>
<script>
"use strict";
const HISTORY_MS = 5 * 60 * 1000;
const COLORS = ['#2e90fa', '#f79009', '#12b76a', '#9e77ed', '#f04438', '#0ba5ec', '#ee46bc', '#667085'];
const series = new Map(); // resource -> [{ at, pass, block }]
let previous;

function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
function rate(row, key, dt) {
  const before = previous && previous.rows.get(row.resource + '\\u0000' + row.rule + '\\u0000' + row.strategy);
  return before && dt > 0 ? Math.max(0, (row[key] - before[key]) / dt) : 0;
}
function stateOf(row) {
  if (row.breaker !== undefined) return 'breaker ' + row.breaker;
  if (row.queued !== undefined) return row.queued + ' queued';
  if (row.permits !== undefined) return row.permits + ' permits held';
  if (row.shedding !== undefined) return row.shedding ? 'shedding' : 'not shedding';
  return '';
}
function perResource(rows) {
  const out = new Map();
  for (const r of rows) {
    const t = out.get(r.resource) || { passed: 0, blocked: 0 };
    t.passed = Math.max(t.passed, r.passed); // a passing request counts in every row of its route
    t.blocked += r.blocked; // a blocked one in the row that refused it only
    out.set(r.resource, t);
  }
  return out;
}
function record(snapshot) {
  const totals = perResource(snapshot.resources);
  const last = previous && previous.totals;
  const dt = previous ? (snapshot.at - previous.at) / 1000 : 0;
  for (const [resource, t] of totals) {
    const points = series.get(resource) || [];
    const before = last && last.get(resource);
    if (before && dt > 0) points.push({ at: snapshot.at, pass: Math.max(0, (t.passed - before.passed) / dt), block: Math.max(0, (t.blocked - before.blocked) / dt) });
    while (points.length && points[0].at < snapshot.at - HISTORY_MS) points.shift();
    series.set(resource, points);
  }
  return { totals, dt };
}
function draw(now) {
  const canvas = document.getElementById('chart');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  let max = 1;
  for (const points of series.values()) for (const p of points) max = Math.max(max, p.pass, p.block);
  const x = (at) => canvas.width - ((now - at) / HISTORY_MS) * canvas.width;
  const y = (v) => canvas.height - 14 - (v / max) * (canvas.height - 24);
  ctx.fillStyle = '#667'; ctx.font = '11px system-ui';
  ctx.fillText(max.toFixed(1) + '/s', 4, 12); ctx.fillText('-5 min', 4, canvas.height - 2); ctx.fillText('now', canvas.width - 24, canvas.height - 2);
  const legend = document.getElementById('legend');
  legend.textContent = '';
  let i = 0;
  for (const [resource, points] of series) {
    const color = COLORS[i++ % COLORS.length];
    for (const key of ['pass', 'block']) {
      ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(key === 'block' ? [5, 4] : []);
      ctx.beginPath();
      points.forEach((p, j) => (j ? ctx.lineTo(x(p.at), y(p[key])) : ctx.moveTo(x(p.at), y(p[key]))));
      ctx.stroke();
    }
    const item = document.createElement('span');
    const swatch = document.createElement('i'); swatch.style.background = color;
    item.appendChild(swatch); item.appendChild(document.createTextNode(resource));
    legend.appendChild(item);
  }
  ctx.setLineDash([]);
}
function render(snapshot) {
  const { totals, dt } = record(snapshot);
  const r = snapshot.rules;
  document.getElementById('rules').textContent = r.faultToleranceRules + ' fault-tolerance, ' + r.trafficLabelRules + ' label rules from ' + r.source + (r.version ? ' version ' + r.version : '') + ', applied ' + r.appliedAt + (r.pending.length ? ', ' + r.pending.length + ' pending' : '');
  const store = document.getElementById('store');
  store.textContent = snapshot.store.name + (snapshot.store.shared ? ' (shared)' : '') + ': ' + (snapshot.store.available ? 'available' : 'unavailable' + (snapshot.store.reason ? ' (' + snapshot.store.reason + ')' : ''));
  store.className = snapshot.store.available ? 'good' : 'bad';
  const body = document.getElementById('resources');
  body.textContent = '';
  const rows = new Map();
  for (const row of snapshot.resources) {
    rows.set(row.resource + '\\u0000' + row.rule + '\\u0000' + row.strategy, row);
    const tr = document.createElement('tr');
    tr.dataset.resource = row.resource; tr.dataset.rule = row.rule; tr.dataset.kind = row.kind;
    cell(tr, row.resource); cell(tr, row.rule + (row.dryRun ? ' (dry run)' : '')); cell(tr, row.strategy); cell(tr, row.kind);
    cell(tr, rate(row, 'passed', dt).toFixed(1), 'num pass-rate'); cell(tr, rate(row, 'blocked', dt).toFixed(1), 'num block-rate');
    cell(tr, rate(row, 'wouldBlock', dt).toFixed(1), 'num'); cell(tr, String(row.passed), 'num passed'); cell(tr, String(row.blocked), 'num blocked');
    cell(tr, String(row.inFlight), 'num');
    const state = cell(tr, stateOf(row), row.breaker === 'open' || row.shedding ? 'bad state' : 'state');
    if (row.breaker !== undefined) state.dataset.breaker = row.breaker;
    body.appendChild(tr);
  }
  const sources = document.getElementById('sources');
  sources.textContent = '';
  for (const s of snapshot.sources) {
    const tr = document.createElement('tr');
    cell(tr, s.name); cell(tr, s.connected ? 'yes' : 'no', s.connected ? 'good' : 'bad'); cell(tr, String(s.documents), 'num');
    cell(tr, s.version || '–'); cell(tr, s.updatedAt || '–'); cell(tr, s.lastError || '', s.lastError ? 'bad' : '');
    sources.appendChild(tr);
  }
  previous = { at: snapshot.at, totals, rows };
  draw(snapshot.at);
}
const events = new EventSource(location.pathname.replace(/\\/+$/, '') + '/events');
const status = document.getElementById('status');
events.addEventListener('history', (e) => {
  // Totals sampled before this page opened: the chart starts with the last minutes. Sent
  // again on each reconnection: only the samples after what the page has are new.
  for (const sample of JSON.parse(e.data)) {
    if (previous && sample.at <= previous.at) continue;
    const { totals } = record(sample);
    previous = { at: sample.at, totals, rows: new Map() };
  }
});
events.addEventListener('snapshot', (e) => { status.textContent = 'live'; status.dataset.state = 'live'; render(JSON.parse(e.data)); });
events.onerror = () => { status.textContent = 'connection lost, retrying…'; status.dataset.state = 'lost'; };
</script>
</body>
</html>
`;
}

// arus console: a small single-page app over /api/v1 (no framework, no build step). Routes:
// #/ overview, #/p/NAME pipeline, #/r/RUN_ID run. Refreshes every 5 s; asks once for the API
// token when the server wants one and keeps it in localStorage.
'use strict';

const REFRESH_MS = 5000;
const main = document.getElementById('main');
const statusLine = document.getElementById('status');
const tokenForm = document.getElementById('token-form');
let token = localStorage.getItem('arus_token') || '';
let notice = '';

// Element builder: h('td', {class: 'num'}, 'text', child...). Strings become text nodes, so
// nothing from the server is ever parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class AuthNeeded extends Error {}

async function api(path, method) {
  const headers = token ? {Authorization: 'Bearer ' + token} : {};
  const r = await fetch('/api/v1' + path, {method: method || 'GET', headers});
  if (r.status === 401) throw new AuthNeeded();
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

const enc = encodeURIComponent;
const fmtNum = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en'));
const fmtTime = (t) => (t ? String(t).slice(0, 19) : '–');
function fmtAge(s) {
  if (s === null || s === undefined) return '–';
  if (s < 120) return Math.round(s) + 's';
  if (s < 7200) return Math.round(s / 60) + 'm';
  if (s < 172800) return Math.round(s / 3600) + 'h';
  return Math.round(s / 86400) + 'd';
}
// Seconds between two "YYYY-MM-DD HH:MM:SS[.ffffff]" UTC times.
function seconds(a, b) {
  if (!a || !b) return null;
  const t = (x) => Date.parse(x.replace(' ', 'T') + 'Z');
  return (t(b) - t(a)) / 1000;
}
// A follow pipeline's lag is bytes of change log not yet applied.
function fmtBytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 10240) return n + ' B';
  if (n < 10485760) return Math.round(n / 1024) + ' KiB';
  return Math.round(n / 1048576) + ' MiB';
}
const fmtLag = (p) => (p.follow ? fmtBytes(p.cdc_lag_bytes) : fmtAge(p.lag_seconds));
const badge = (s) => h('span', {class: 'badge ' + s}, s);
const table = (head, rows) =>
  h('div', {class: 'scroll'}, h('table', {}, h('thead', {}, h('tr', {}, head.map((c) =>
    h('th', {class: c.startsWith('~') ? 'wide' : null}, c.replace(/^~/, ''))))), h('tbody', {}, rows)));

async function overview() {
  const {pipelines} = await api('/pipelines');
  const rows = pipelines.map((p) => {
    const last = p.last_run;
    return h('tr', {'data-pipeline': p.name},
      h('td', {}, h('a', {href: '#/p/' + enc(p.name)}, p.name),
        last && last.error ? h('div', {class: 'error'}, last.error) : null),
      h('td', {}, badge(p.paused ? 'paused' : p.state)),
      h('td', {class: 'wide'}, p.follow ? 'follows (cdc)' : p.schedule || (p.depends_on.length ? 'after ' + p.depends_on.join(', ') : 'manual')),
      h('td', {}, last ? [fmtTime(last.finished_at || last.started_at), ' ', badge(last.status)] : '–'),
      h('td', {class: 'wide'}, fmtTime(p.next_run)),
      h('td', {class: 'num'}, last ? fmtNum(last.rows_loaded) : '–'),
      h('td', {class: 'num'}, fmtLag(p)));
  });
  return [h('h1', {}, 'Pipelines'),
    table(['Pipeline', 'State', '~Schedule', 'Last run', '~Next run', 'Rows', 'Lag'], rows)];
}

// Rows loaded (bars) and duration (line) of the last runs, oldest left, as inline SVG.
function chart(runs) {
  const data = runs.slice(0, 20).reverse().map((r) => ({
    rows: r.rows_loaded || 0, secs: seconds(r.started_at, r.finished_at) || 0, status: r.status}));
  const W = 600, H = 160, P = 24;
  const svg = (tag, attrs) => {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    return el;
  };
  const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
    'aria-label': 'rows loaded and duration of the last runs'});
  if (!data.length) return root;
  const maxRows = Math.max(1, ...data.map((d) => d.rows));
  const maxSecs = Math.max(0.001, ...data.map((d) => d.secs));
  const step = (W - 2 * P) / data.length;
  const points = [];
  data.forEach((d, i) => {
    const bh = (d.rows / maxRows) * (H - 2 * P);
    const bar = svg('rect', {x: P + i * step + 2, y: H - P - bh, width: Math.max(1, step - 4),
      height: bh, fill: d.status === 'failed' ? '#cf222e' : '#8fb8ed'});
    const title = svg('title', {});
    title.textContent = `${d.rows} rows, ${d.secs.toFixed(2)}s`;
    bar.append(title);
    root.append(bar);
    points.push(`${P + i * step + step / 2},${H - P - (d.secs / maxSecs) * (H - 2 * P)}`);
  });
  root.append(svg('polyline', {points: points.join(' '), fill: 'none', stroke: '#24292f', 'stroke-width': 2}));
  const label = (x, y, text, anchor) => {
    const t = svg('text', {x, y, 'font-size': 11, fill: '#656d76', 'text-anchor': anchor || 'start'});
    t.textContent = text;
    root.append(t);
  };
  label(P, 14, `bars: rows loaded (max ${maxRows})`);
  label(W - P, 14, `line: duration (max ${maxSecs.toFixed(2)}s)`, 'end');
  return root;
}

async function act(name, what) {
  try {
    const r = await api(`/pipelines/${enc(name)}/${what}`, 'POST');
    notice = what === 'runs' ? `Run ${r.run_id} queued` : `Pipeline ${what === 'pause' ? 'paused' : 'resumed'}`;
  } catch (e) {
    if (e instanceof AuthNeeded) return askToken();
    notice = e.message;
  }
  render();
}

async function pipelinePage(name) {
  const [p, runs, dead] = await Promise.all([
    api('/pipelines/' + enc(name)),
    api(`/pipelines/${enc(name)}/runs?limit=20`).catch((e) => ({runs: [], error: e.message})),
    api(`/pipelines/${enc(name)}/dead-letters?limit=20`).catch((e) => ({dead_letters: [], error: e.message}))]);
  const busy = p.state === 'running' || p.state === 'queued';
  const facts = [['Source', p.source], ['Destination', p.destination],
    ['Schedule', p.follow ? 'follows the change log (sync_mode cdc)' : p.schedule ? `${p.schedule} (${p.timezone})` : 'none'],
    ...(p.follow ? [['CDC lag', fmtBytes(p.cdc_lag_bytes)]] : []),
    ['Depends on', p.depends_on.join(', ') || 'nothing'], ['Next run', fmtTime(p.next_run)],
    ['Last success', fmtTime(p.last_success)], ['Skipped ticks', p.skipped_ticks]];
  return [
    h('h1', {}, p.name, ' ', badge(p.paused ? 'paused' : p.state)),
    h('div', {id: 'notice'}, notice),
    h('div', {class: 'actions'},
      h('button', {class: 'primary', 'data-action': 'run', disabled: busy, onclick: () => act(p.name, 'runs')}, 'Run now'),
      p.paused ? h('button', {'data-action': 'resume', onclick: () => act(p.name, 'resume')}, 'Resume')
        : h('button', {'data-action': 'pause', onclick: () => act(p.name, 'pause')}, 'Pause')),
    h('dl', {class: 'facts'}, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])),
    h('h2', {}, 'Tables'),
    p.tables_error ? h('p', {class: 'error'}, p.tables_error) : null,
    table(['Table', 'Mode', '~Watermark', 'Lag', 'Last run'], p.tables.map((t) => h('tr', {},
      h('td', {}, t.table), h('td', {}, t.mode || '–'), h('td', {class: 'wide'}, t.watermark || '–'),
      h('td', {class: 'num'}, fmtAge(t.lag_seconds)),
      h('td', {}, t.last_run ? badge(t.last_run.status) : '–')))),
    h('h2', {}, 'Recent runs'),
    chart(runs.runs),
    runs.error ? h('p', {class: 'error'}, runs.error) : null,
    table(['Run', 'Status', 'Started', '~Duration', 'Rows', 'Error'], runs.runs.map((r) => h('tr', {},
      h('td', {}, h('a', {href: '#/r/' + enc(r.run_id)}, r.run_id.slice(0, 8))),
      h('td', {}, badge(r.status)), h('td', {}, fmtTime(r.started_at)),
      h('td', {class: 'num wide'}, r.finished_at ? seconds(r.started_at, r.finished_at).toFixed(2) + 's' : '–'),
      h('td', {class: 'num'}, fmtNum(r.rows_loaded)),
      h('td', {class: 'error'}, r.error || '')))),
    h('h2', {}, 'Dead letters'),
    dead.error ? h('p', {class: 'muted'}, dead.error)
      : dead.dead_letters.length === 0 ? h('p', {class: 'muted'}, 'None.')
        : table(['Table', 'Error', '~Row', 'Stored'], dead.dead_letters.map((d) => h('tr', {},
          h('td', {}, d.table), h('td', {class: 'error'}, d.error), h('td', {class: 'wide'}, h('code', {}, d.row)),
          h('td', {}, fmtTime(d.created_at))))),
  ];
}

async function runPage(id) {
  let r;
  try {
    r = await api('/runs/' + enc(id));
  } catch (e) {
    if (e instanceof AuthNeeded) throw e;
    return [h('h1', {}, 'Run ' + id), h('p', {class: 'muted'}, e.message)];
  }
  return [
    h('h1', {}, 'Run ', r.run_id, ' ', badge(r.status)),
    h('dl', {class: 'facts'}, [['Pipeline', h('a', {href: '#/p/' + enc(r.pipeline)}, r.pipeline)],
      ['Trigger', r.trigger], ['Queued', fmtTime(r.queued_at)], ['Started', fmtTime(r.started_at)],
      ['Finished', fmtTime(r.finished_at)], ['Rows loaded', fmtNum(r.rows_loaded)]]
      .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    r.error ? h('p', {class: 'error'}, r.error) : null,
    h('h2', {}, 'Tables'),
    table(['Table', 'Mode', 'Extracted', 'Loaded', '~Deleted', '~Dead', 'Status'], r.tables.map((t) => h('tr', {},
      h('td', {}, t.table), h('td', {}, t.mode), h('td', {class: 'num'}, fmtNum(t.rows_extracted)),
      h('td', {class: 'num'}, fmtNum(t.rows_loaded)), h('td', {class: 'num wide'}, fmtNum(t.rows_deleted)),
      h('td', {class: 'num wide'}, fmtNum(t.rows_dead_lettered)),
      h('td', {}, badge(t.status), t.error ? h('div', {class: 'error'}, t.error) : null)))),
    h('h2', {}, 'Log'),
    h('pre', {class: 'log'}, r.log.join('\n') || '(no lines)'),
  ];
}

function askToken() {
  tokenForm.hidden = false;
  document.getElementById('token').focus();
}

tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  token = document.getElementById('token').value;
  localStorage.setItem('arus_token', token);
  tokenForm.hidden = true;
  render();
});

// One render at a time; a request during one (a click, a hash change, the timer) renders again
// right after it, and a render whose route changed meanwhile is dropped.
let rendering = false;
let again = false;
const currentRoute = () => decodeURIComponent(location.hash.replace(/^#\/?/, ''));
async function render() {
  if (rendering) {
    again = true;
    return;
  }
  rendering = true;
  const route = currentRoute();
  try {
    const content = route.startsWith('p/') ? await pipelinePage(route.slice(2))
      : route.startsWith('r/') ? await runPage(route.slice(2)) : await overview();
    if (route === currentRoute()) {
      main.replaceChildren(...content.flat().filter((c) => c));
      statusLine.textContent = 'updated ' + new Date().toLocaleTimeString();
    }
  } catch (e) {
    if (e instanceof AuthNeeded) askToken();
    else main.replaceChildren(h('p', {class: 'error'}, e.message));
  } finally {
    rendering = false;
    if (again) {
      again = false;
      render();
    }
  }
}

window.addEventListener('hashchange', () => { notice = ''; render(); });
setInterval(render, REFRESH_MS);
render();

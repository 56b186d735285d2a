// Drives the arus serve console in headless Chromium over the DevTools protocol and asserts
// what a person sees. Run with: node --experimental-websocket serve_console.mjs DEVTOOLS_WS_URL
// BASE_URL [TOKEN]. Pipelines expected: "target" (runs fine), "broken" (fails).
const [wsUrl, base, token] = process.argv.slice(2);

function fail(msg) {
  console.error('FAIL [console]: ' + msg);
  process.exit(1);
}

const ws = new WebSocket(wsUrl);
let nextId = 1;
const pending = new Map();
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.id && pending.has(m.id)) {
    const {resolve, reject} = pending.get(m.id);
    pending.delete(m.id);
    m.error ? reject(new Error(m.error.message)) : resolve(m.result);
  }
};
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, {resolve, reject});
  ws.send(JSON.stringify({id, method, params}));
});
async function evaluate(expr) {
  const r = await send('Runtime.evaluate', {expression: expr, awaitPromise: true, returnByValue: true});
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.text + ': ' + expr);
  return r.result.value;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Wait until the page's visible text satisfies pred (up to 15 s); returns the text.
async function waitText(pred, what) {
  let text = '';
  for (let i = 0; i < 150; i++) {
    // (a navigation in progress has no document yet)
    text = await evaluate('document.body ? document.body.innerText : ""').catch(() => '');
    if (pred(text)) return text;
    await sleep(100);
  }
  fail(`${what}; the page shows:\n${text}`);
}
async function go(hash) {
  await evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

await send('Page.enable');
await send('Runtime.enable');
await send('Page.navigate', {url: base + '/'});

if (token) {
  // The console asks for the token once, then shows the pipelines.
  await waitText((t) => t.includes('needs its API token'), 'no token prompt');
  const visible = await evaluate('!document.getElementById("token-form").hidden');
  if (!visible) fail('token form hidden');
  await evaluate(`document.getElementById('token').value = ${JSON.stringify(token)};
    document.getElementById('token-form').requestSubmit(); true`);
}

// Overview: pipeline names and the failed run's error.
await waitText((t) => t.includes('target') && t.includes('broken') && t.includes('no_such_table'),
  'overview without pipeline names or the failed error');
if (token && !(await evaluate('document.getElementById("token-form").hidden')))
  fail('token form still shown after entering the token');

// Pipeline page of the failed pipeline: its error in the run history.
await go('#/p/broken');
await waitText((t) => t.includes('Recent runs') && t.includes('no_such_table') && t.includes('failed'),
  'broken pipeline page without its error');

// Pressing "Run now" on target queues a run; it shows up in the history and finishes.
await go('#/p/target');
const before = await waitText((t) => t.includes('Recent runs') && t.includes('Run now'), 'target page');
const runsBefore = await evaluate(`document.querySelectorAll('a[href^="#/r/"]').length`);
await evaluate(`document.querySelector('button[data-action=run]').click(); true`);
const after = await waitText((t) => /Run [0-9a-f-]{36} queued/.test(t), 'no notice after Run now');
const runId = after.match(/Run ([0-9a-f-]{36}) queued/)[1];
await go('#/r/' + runId);
await waitText((t) => t.includes(runId) && t.includes('ok') && t.includes('extracted='),
  'run page of the new run without status ok and log lines');
await go('#/p/target');
for (let i = 0; ; i++) {
  const n = await evaluate(`document.querySelectorAll('a[href^="#/r/"]').length`);
  if (n > runsBefore) break;
  if (i > 100) fail(`run history still has ${n} runs after Run now (had ${runsBefore})`);
  await sleep(100);
}
const bars = await evaluate(`document.querySelectorAll('svg.chart rect').length`);
if (bars < 1) fail('no bars in the runs chart');

// Pause and resume buttons.
await evaluate(`document.querySelector('button[data-action=pause]').click(); true`);
await waitText((t) => t.includes('Pipeline paused') && t.includes('Resume'), 'pause had no effect');
await evaluate(`document.querySelector('button[data-action=resume]').click(); true`);
await waitText((t) => t.includes('Pipeline resumed') && t.includes('Pause'), 'resume had no effect');

// Phone-sized screen: nothing wider than the screen outside the scrolling tables.
await send('Emulation.setDeviceMetricsOverride', {width: 390, height: 844, deviceScaleFactor: 2, mobile: true});
await go('#/');
await waitText((t) => t.includes('Pipelines'), 'overview on a phone');
await sleep(300);
const width = await evaluate('document.documentElement.scrollWidth');
if (width > 390) fail(`page is ${width}px wide on a 390px screen`);

console.log(`ok console (run ${runId}, ${before.length} chars before, ${bars} bars)`);
ws.close();
process.exit(0);

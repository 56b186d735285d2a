// Drives the arus serve console in headless Chromium over the DevTools protocol and asserts
// what a person sees. Run with: node serve_console.mjs DEVTOOLS_WS_URL BASE_URL [TOKEN].
// Pipelines expected: "target" (runs fine), "broken" (fails). No npm packages: the WebSocket
// client below is the few lines of RFC 6455 the DevTools protocol needs (Node 18, Debian's,
// has no WebSocket of its own).
import net from 'node:net';
import crypto from 'node:crypto';

const [wsUrl, base, token] = process.argv.slice(2);

class MiniWebSocket {
  constructor(url) {
    const u = new URL(url);
    this.onmessage = null;
    this.buf = Buffer.alloc(0);
    this.parts = [];
    this.open = new Promise((resolve, reject) => {
      this.sock = net.connect(Number(u.port), u.hostname, () => {
        const key = crypto.randomBytes(16).toString('base64');
        this.sock.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      this.sock.on('error', reject);
      let upgraded = false;
      this.sock.on('data', (chunk) => {
        this.buf = Buffer.concat([this.buf, chunk]);
        if (!upgraded) {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!this.buf.slice(0, end).toString().startsWith('HTTP/1.1 101')) return reject(new Error('no upgrade'));
          this.buf = this.buf.slice(end + 4);
          upgraded = true;
          resolve();
        }
        this.frames();
      });
    });
  }
  frames() {
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = this.buf[0] & 0x80, op = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f, at = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); at = 10; }
      if (this.buf.length < at + len) return;
      const payload = this.buf.slice(at, at + len);
      this.buf = this.buf.slice(at + len);
      if (op === 1 || op === 0) {
        this.parts.push(payload);
        if (fin) {
          const text = Buffer.concat(this.parts).toString();
          this.parts = [];
          if (this.onmessage) this.onmessage({data: text});
        }
      }
    }
  }
  send(text) {
    const data = Buffer.from(text), mask = crypto.randomBytes(4);
    const head = data.length < 126 ? Buffer.from([0x81, 0x80 | data.length])
      : data.length < 65536 ? Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 255])
        : (() => { const b = Buffer.alloc(10); b[0] = 0x81; b[1] = 0x80 | 127; b.writeBigUInt64BE(BigInt(data.length), 2); return b; })();
    for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
    this.sock.write(Buffer.concat([head, mask, data]));
  }
  close() { this.sock.destroy(); }
}

function fail(msg) {
  console.error('FAIL [console]: ' + msg);
  process.exit(1);
}

const ws = new MiniWebSocket(wsUrl);
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
await ws.open;
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
// The page's title (h1) and its status badge, as a person reads them.
const heading = () => evaluate(`(document.querySelector('h1') || {}).textContent || ''`).catch(() => '');
async function waitHeading(prefix, what) {
  for (let i = 0; i < 150; i++) {
    if ((await heading()).startsWith(prefix)) return;
    await sleep(100);
  }
  fail(`${what}: the heading reads "${await heading()}"`);
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
await waitHeading('broken', 'broken pipeline page');
await waitText((t) => t.includes('Recent runs') && t.includes('no_such_table') && t.includes('failed'),
  'broken pipeline page without its error');

// Pressing "Run now" on target queues a run; it shows up in the history and finishes.
await go('#/p/target');
await waitHeading('target', 'target pipeline page');
const before = await waitText((t) => t.includes('Recent runs') && t.includes('Run now'), 'target page');
const runsBefore = await evaluate(`document.querySelectorAll('a[href^="#/r/"]').length`);
await evaluate(`document.querySelector('button[data-action=run]').click(); true`);
const after = await waitText((t) => /Run [0-9a-f-]{36} queued/.test(t), 'no notice after Run now');
const runId = after.match(/Run ([0-9a-f-]{36}) queued/)[1];
await go('#/r/' + runId);
await waitHeading(`Run ${runId} ok`, 'run page of the new run');
await waitText((t) => t.includes('table "items" incremental: extracted='), 'run page without log lines');
await go('#/p/target');
await waitHeading('target', 'target pipeline page again');
for (let i = 0; ; i++) {
  const n = await evaluate(`document.querySelectorAll('a[href^="#/r/"]').length`);
  if (n > runsBefore) break;
  if (i > 100)
    fail(`run history still has ${n} runs after Run now (had ${runsBefore}):\n` +
      await evaluate('location.hash + "\\n" + document.body.innerText'));
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
await waitHeading('Pipelines', 'overview on a phone');
await sleep(300);
const width = await evaluate('document.documentElement.scrollWidth');
if (width > 390) fail(`page is ${width}px wide on a 390px screen`);

console.log(`ok console (run ${runId}, ${before.length} chars before, ${bars} bars)`);
ws.close();
process.exit(0);

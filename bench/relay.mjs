// The log relay on its own (dist/cli/log-relay.js, driven over IPC as the driver does): how long
// it takes to start and take a file, how fast it redacts a large log (default 600 MB, past the
// ~512 MB a whole-file read could not hold), and its peak memory meanwhile. Prints figures only.
// Usage: node bench/relay.mjs [megabytes=600] [attachments=50]    (needs `npm run build` first)
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const relayScript = join(root, 'dist', 'cli', 'log-relay.js');
const megabytes = Number(process.argv[2] ?? 600);
const attachments = Number(process.argv[3] ?? 50);
const SECRET = 'planted-secret-4f9a8e7d6c';
const dir = mkdtempSync(join(tmpdir(), 'buran-relay-bench-'));

const relay = spawn(process.execPath, [relayScript], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH } });
const waiting = new Map();
relay.on('message', (m) => waiting.get(`${m.type}:${m.key}`)?.());
const heard = (type, key) => new Promise((done) => waiting.set(`${type}:${key}`, done));
const rss = () => { try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${relay.pid}/status`, 'utf8'))[1]) / 1024; } catch { return 0; } };

// Each raw file in a folder of its own, as the driver makes them (the relay removes it once it holds the file).
const rawPath = (name) => join(mkdtempSync(join(dir, 'raw-')), name);
let key = 0;
async function attach(raw, log) {
  const k = String(++key);
  const opened = heard('opened', k);
  relay.send({ type: 'attach', key: k, raw, log, done: `${log}.done`, secrets: [SECRET], graceMs: 200 });
  await opened;
  return k;
}
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Start: from spawning the relay to its taking the first file (the first dispatch of a driver waits for this).
const start = now();
const first = rawPath('first.raw');
closeSync(openSync(first, 'w'));
await attach(first, join(dir, 'first.log'));
const startMs = now() - start;

// 2. Per attachment: one file and one IPC round trip (what every later dispatch costs).
const each = [];
for (let i = 0; i < attachments; i++) {
  const raw = rawPath(`a${i}.raw`);
  const fd = openSync(raw, 'w');
  writeSync(fd, `line ${i} ${SECRET}\n`);
  closeSync(fd);
  const t = now();
  const k = await attach(raw, join(dir, `a${i}.log`));
  each.push(now() - t);
  const done = heard('done', k);
  relay.send({ type: 'exited', key: k });
  await done;
}
const leak = readFileSync(join(dir, 'a0.log'), 'utf8').includes(SECRET);

// 3. A large log: a writer appends `megabytes` of lines (one secret per 64 KB) while the relay follows.
const raw = rawPath('big.raw');
const rawFd = openSync(raw, 'a');
const log = join(dir, 'big.log');
// The relay takes the file first, then the writer gets it as its stdout, as a worker does.
const bigStart = now();
const bigKey = await attach(raw, log);
const writer = spawn(process.execPath, ['-e', `
  const fs = require('fs');
  const block = Buffer.from(('x'.repeat(120) + '\\n').repeat(540) + 'token ${SECRET} here\\n');
  for (let written = 0; written < ${megabytes} * 1024 * 1024; written += block.length) fs.writeSync(1, block);
`], { stdio: ['ignore', rawFd, 'ignore'] });
closeSync(rawFd);
relay.send({ type: 'leader', key: bigKey, leader: { pid: writer.pid, start: null } });
let peak = 0;
const sampler = setInterval(() => { peak = Math.max(peak, rss()); }, 50);
await new Promise((done) => writer.on('exit', done));
const writtenMs = now() - bigStart;
const bigDone = heard('done', bigKey);
relay.send({ type: 'exited', key: bigKey });
await bigDone;
const bigMs = now() - bigStart;
clearInterval(sampler);
const size = statSync(log).size;
const grep = spawnSync('grep', ['-c', SECRET, log], { encoding: 'utf8' });
const bigLeak = grep.stdout.trim() !== '0';

console.log(`log relay (node ${process.version}, ${process.platform})`);
console.log(`start, spawn to first file taken        ${startMs.toFixed(1)} ms`);
console.log(`each later process: file taken          median ${median(each).toFixed(2)} ms   max ${Math.max(...each).toFixed(2)} ms   (${attachments} files)`);
console.log(`large log: ${megabytes} MB written in ${(writtenMs / 1000).toFixed(1)} s, all redacted in ${(bigMs / 1000).toFixed(1)} s  (${(megabytes / (bigMs / 1000)).toFixed(0)} MB/s), log ${(size / 1024 / 1024).toFixed(0)} MB`);
console.log(`relay peak RSS during it                ${peak.toFixed(0)} MB`);
console.log(`secret left in any log                  ${leak || bigLeak ? 'YES' : 'no'}`);
relay.disconnect();
rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
if (existsSync(dir)) console.log(`(left ${dir})`);
process.exitCode = leak || bigLeak ? 1 : 0;

#!/usr/bin/env node
// bench/lean.mjs for several builds, interleaved (the machine is shared: load moves every figure),
// then one table: per figure and build, the median of the rounds and their range.
// Usage: node bench/lean-side-by-side.mjs [--rounds N] [--runs N] LABEL=path/to/dist/cli/main.js …
// (the current build is `now` unless given; extra flags after `--` go to lean.mjs, e.g. -- --list 0).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split === -1 ? argv : argv.slice(0, split);
const passed = split === -1 ? [] : argv.slice(split + 1);
const option = (name, fallback) => { const i = own.indexOf(`--${name}`); return i === -1 ? fallback : Number(own[i + 1]); };
const rounds = option('rounds', 3);
const runs = option('runs', 7);
const builds = own.filter((a) => a.includes('=')).map((a) => a.split('='));
if (!builds.some(([label]) => label === 'now')) builds.push(['now', join(ROOT, 'dist', 'cli', 'main.js')]);

const figures = new Map(); // figure -> label -> values
const aims = new Map();
for (let round = 0; round < rounds; round++) {
  for (const [label, cli] of round % 2 === 0 ? builds : [...builds].reverse()) {
    const out = spawnSync(process.execPath, [join(ROOT, 'bench', 'lean.mjs'), '--runs', String(runs), ...passed], {
      encoding: 'utf8', env: { ...process.env, BURAN_CLI: cli }, maxBuffer: 16 * 1024 * 1024,
    });
    if (out.status !== 0) throw new Error(`${label}: lean.mjs failed: ${out.stderr}`);
    for (const line of out.stdout.split('\n').slice(1)) {
      const match = /^(.*?)\s+(-?[\d.]+) ms\s*(.*)$/.exec(line);
      if (!match) continue;
      const [, what, value, aim] = match;
      const name = what.trim().replace(/\(\d[\d,]* events\)/, '(long run)');
      if (!figures.has(name)) figures.set(name, new Map());
      const byBuild = figures.get(name);
      byBuild.set(label, [...(byBuild.get(label) ?? []), Number(value)]);
      if (aim) aims.set(name, aim.trim());
    }
    console.error(`round ${round + 1}/${rounds}: ${label} done`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cell = (xs) => (xs ? `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})` : '-');
console.log(`| figure (ms; median of ${rounds} rounds, range) | ${builds.map(([l]) => l).join(' | ')} | aim |`);
console.log(`| --- | ${builds.map(() => '---').join(' | ')} | --- |`);
for (const [name, byBuild] of figures) console.log(`| ${name} | ${builds.map(([l]) => cell(byBuild.get(l))).join(' | ')} | ${aims.get(name) ?? ''} |`);

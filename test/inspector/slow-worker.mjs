#!/usr/bin/env node
// Test helper: `slow-worker.mjs --delay MS ARGS…` waits MS then runs the scripted fixture worker with ARGS.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('../fixtures/worker.mjs', import.meta.url));
const [flag, ms, ...rest] = process.argv.slice(2);
if (flag !== '--delay') throw new Error('usage: slow-worker.mjs --delay MS ARGS…');
await new Promise((resolve) => setTimeout(resolve, Number(ms)));
const result = spawnSync(process.execPath, [worker, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);

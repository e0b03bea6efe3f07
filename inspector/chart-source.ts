// Where the inspector gets its chart layout: from a worker thread running the bundled ELK (the
// layout costs ~0.5-1 s of CPU, which must not stall a run driven in this process).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MachineGraph } from '../machines/graph.ts';
import type { ChartLayout } from './chart-layout.ts';

/** Lays the chart out in a worker thread; unbuilt (tests importing the source), in this thread. */
export function layoutOffThread(graph: MachineGraph): Promise<ChartLayout> {
  const entry = workerEntry();
  if (entry === null) return import('./chart-layout.ts').then((m) => m.layoutChart(graph));
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { graph } });
    worker.unref();
    worker.once('message', (layout: ChartLayout) => resolve(layout));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the chart layout worker exited with code ${code} before answering`)));
  });
}

// The bundle puts the worker entry in dist/cli/, beside main.js; this code may sit in a chunk below it.
function workerEntry(): string | null {
  for (const relative of ['./inspector-layout.js', '../inspector-layout.js']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

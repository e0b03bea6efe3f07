// Worker-thread entry (dist/cli/inspector-layout.js): lays the chart out off the main thread, so a
// process that drives a run with --inspect never stalls on the layout.
import { parentPort, workerData } from 'node:worker_threads';
import { layoutChart } from './chart-layout.ts';

// No top-level await: the bundle is CommonJS.
void layoutChart(workerData.graph).then((layout) => parentPort!.postMessage(layout));

// One runner process of bench/fleet-claims.mjs: claims queued runs from the PostgreSQL registry and
// does instant work on each (open, journal its start and end, save a final snapshot, release), the
// registry's whole share of a run. Woken by NOTIFY on the queue channel, polling once a second too.
// Protocol: prints "ready"; "go" starts claiming and driving, "claim" starts claiming only (no work at
// all: the claim's own cost); "stop" prints {samples} (claim → start, ms) and exits.
import { createInterface } from 'node:readline';
import { openPgRegistry } from '../persistence/pg/index.ts';
import { SCHEMA_VERSION } from '../persistence/records.ts';

const [url, hostId] = process.argv.slice(2) as [string, string];
const registry = await openPgRegistry(url, { hostId, poolSize: 2 });
const samples: number[] = [];
let running = false;
let claimOnly = false;
let wake: () => void = () => {};
const listener = await registry.listen([registry.channels.queue], () => wake());

async function drive(runId: string, claimedAt: number): Promise<void> {
  const session = await registry.openRun(runId);
  await session.append([{ type: 'run.created', from: null, to: 'packet_received', event: 'xstate.init' }], new Date());
  samples.push(performance.now() - claimedAt);
  const [last] = await session.append([{ type: 'run.transition', from: 'packet_received', to: 'ready_for_manual_review', event: 'bench.done' }], new Date());
  await session.saveSnapshot({
    schema_version: SCHEMA_VERSION, run_id: runId, seq: last!.seq, state: 'ready_for_manual_review', updated_at: new Date().toISOString(),
    snapshot: { status: 'done', value: 'ready_for_manual_review', context: { run_id: runId } },
  });
  await session.release();
}

async function serve(): Promise<void> {
  while (running) {
    const claim = await registry.claimNext();
    if (claim !== null) {
      if (!claimOnly) await drive(claim.run_id, performance.now());
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      wake = () => { clearTimeout(timer); resolve(); };
    });
  }
}

let served: Promise<void> = Promise.resolve();
console.log('ready');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'go' || line === 'claim') {
    running = true;
    claimOnly = line === 'claim';
    served = serve();
  } else if (line === 'stop') {
    running = false;
    wake();
    void served.then(async () => {
      console.log(JSON.stringify({ samples }));
      await listener.close();
      await registry.close();
      process.exit(0);
    });
  }
});

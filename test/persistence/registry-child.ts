// A process that opens a registry and does what its parent test asks, one JSON line at a time:
// how the contract suite sees a second process (another CLI, another host) use the same registry.
// Usage: node --import tsx registry-child.ts MODULE EXPORT ADDRESS
// Each request line is {id, op, ...}; each answer {id, ok, value} or {id, ok: false, error}.
import { createInterface } from 'node:readline';
import type { Registry, RunSession } from '../../persistence/port.ts';

const [modulePath, exportName, address] = process.argv.slice(2) as [string, string, string];
const opener = (await import(modulePath))[exportName] as (address: string) => Promise<Registry>;
const registry = await opener(address);
const sessions = new Map<string, RunSession>();

type Request = { id: number; op: string; [key: string]: unknown };

async function handle(request: Request): Promise<unknown> {
  const runId = request.runId as string;
  switch (request.op) {
    case 'openRun': {
      const session = await registry.openRun(runId);
      sessions.set(runId, session);
      return { lastSeq: session.lastSeq };
    }
    case 'append':
      return sessionOf(runId).append(request.drafts as never, new Date(request.now as string));
    case 'release':
      await sessionOf(runId).release();
      sessions.delete(runId);
      return null;
    case 'acquireLeases':
      // Any holder in the way is alive: the race is about the table, not about liveness.
      return registry.acquireLeases(runId, request.claims as never, request.ttlMs as number, new Date(request.now as string), async () => true);
    case 'claimAll': {
      // PostgreSQL registry only: claims queued runs until there are none, each opened and released.
      const claimer = registry as Registry & { claimNext(): Promise<{ run_id: string } | null> };
      const claimed: string[] = [];
      for (let next = await claimer.claimNext(); next !== null; next = await claimer.claimNext()) {
        claimed.push(next.run_id);
        await (await registry.openRun(next.run_id)).release();
      }
      return claimed;
    }
    case 'exit':
      await registry.close();
      process.exit(0);
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

function sessionOf(runId: string): RunSession {
  const session = sessions.get(runId);
  if (session === undefined) throw new Error(`no session for ${runId}`);
  return session;
}

const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
say({ ready: true, pid: process.pid });
const lines = createInterface({ input: process.stdin });
// The parent is gone (or done): so is this process, holding whatever it held, like a crashed one.
lines.on('close', () => process.exit(0));
lines.on('line', (line) => {
  const request = JSON.parse(line) as Request;
  handle(request).then(
    (value) => say({ id: request.id, ok: true, value }),
    (error: Error & { code?: string }) => say({ id: request.id, ok: false, error: { name: error.name, message: error.message, code: error.code } }),
  );
});

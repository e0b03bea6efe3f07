// `buran inspect [ID]` and the `--inspect` side of run/resume: start the inspector server, print its URL, wire the live feed.
import type { InspectionEvent } from 'xstate';
import { secretValues } from '../../adapters/redact.ts';
import { openRegistry } from '../../persistence/open-registry.ts';
import { withRegistry } from '../registry-access.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import { startInspector, type InspectorServer } from '../../inspector/server.ts';
import type { DriveResult } from '../../actors/drive-run.ts';
import { UsageError } from '../errors.ts';
import type { Output } from '../output.ts';

/** `buran inspect [ID] [--port N]`: serves until SIGINT/SIGTERM: the board of every run, or with ID that run's page. */
export async function inspectCommand(runId: string | undefined, opts: { registry: string; port: number; json: boolean }, output: Output): Promise<number> {
  if (runId !== undefined && !isValidRunId(runId)) throw new UsageError(`${runId}: not a run id (letters, digits, dot, dash, underscore)`);
  return withRegistry(opts.registry, async (registry) => {
    if (runId !== undefined) await registry.assertRun(runId);
    const server = await listen({ registry, port: opts.port, replay: runId ?? null, live: false, secrets: secretValues(process.env) }, '--port');
    // With an id it opens on that run's page, else on the board of every run.
    const url = runId === undefined ? server.url : `${server.url}runs/${encodeURIComponent(runId)}`;
    output.out(opts.json ? JSON.stringify({ url, port: server.port, replay: runId ?? null }) : url);
    if (!opts.json) output.err('inspector serving on 127.0.0.1 only; Ctrl-C to stop');
    await untilSignal();
    await server.close();
    return 0;
  });
}

/** What run/resume hold while driving with --inspect. */
export interface RunInspector {
  url: string;
  /** For DriveOptions.inspect: queue-only. */
  inspect: (event: InspectionEvent) => void;
  started(runId: string): void;
  ended(result: DriveResult): void;
  /** Keeps serving until Ctrl-C when --inspect-wait was given and the run ended without a signal; then closes. */
  finish(): Promise<void>;
}

/** Starts the inspector for `run … --inspect` (before intake: a busy port writes nothing). */
export async function openRunInspector(opts: { registry: string; port: number; wait: boolean }, output: Output): Promise<RunInspector> {
  const registry = await openRegistry(opts.registry);
  const server = await listen({ registry, port: opts.port, replay: null, live: true, secrets: secretValues(process.env) }, '--inspect-port')
    .catch(async (error: unknown) => { await registry.close(); throw error; });
  output.err(`inspector: ${server.url}`);
  let drove = false;
  return {
    url: server.url,
    inspect: server.feed.inspect,
    started: (runId) => server.feed.runPhase(runId, 'started'),
    ended: (result) => {
      // A run stopped by a signal (Ctrl-C, buran cancel) takes the inspector down with it.
      drove = result.stopped !== 'interrupted';
      server.feed.runPhase(result.run_id, 'ended', { state: result.state, stopped: result.stopped });
    },
    finish: async () => {
      if (opts.wait && drove) {
        output.err(`inspector: still serving ${server.url} (replay the run there); Ctrl-C to stop`);
        await untilSignal();
      }
      await server.close();
      await registry.close();
    },
  };
}

async function listen(options: Parameters<typeof startInspector>[0], flag: string): Promise<InspectorServer> {
  try {
    return await startInspector(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`${flag} ${options.port}: the port is in use on 127.0.0.1; pick another (0 = any free port)`);
    if (code === 'EACCES') throw new UsageError(`${flag} ${options.port}: not allowed to listen on this port; pick another above 1023`);
    throw error;
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

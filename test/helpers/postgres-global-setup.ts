// vitest globalSetup: one throwaway PostgreSQL server for the whole test run. It starts in the
// background, so test files that do not need it never wait for it; the tests that do wait for its
// state file (test/helpers/postgres.ts). Stopped and removed when the run ends, failed or not (on
// Ctrl+C too); a server left by a run that was SIGKILLed is reaped when the next run starts.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { makeServerDir, reapAbandonedServers, startThrowawayPostgres, writeJsonAtomic, type ServerAddress } from './postgres-server.ts';

/** What the state file says once the server has started, or why it could not. */
export type ServerState = ({ ok: true } & ServerAddress) | { ok: false; error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    buranPostgresState: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await reapAbandonedServers();
  const dir = makeServerDir();
  const stateFile = join(dir, 'state.json');
  project.provide('buranPostgresState', stateFile);
  const started = startThrowawayPostgres(dir).then(
    (server) => {
      const { host, port, user, password } = server;
      writeJsonAtomic(stateFile, { ok: true, host, port, user, password } satisfies ServerState);
      return server;
    },
    (error: unknown) => {
      writeJsonAtomic(stateFile, { ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ServerState);
      return null;
    },
  );
  return async () => {
    const server = await started;
    await server?.stop();
  };
}

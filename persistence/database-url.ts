// Free of the database client: every command may name a database registry in a message.

/** The registry's URL for messages: never its password. */
export function redactedLocation(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return 'postgres://(an unreadable URL)';
  }
}

/** A `postgres://` or `postgresql://` URL (a registry in a database), not a folder. */
export const isDatabaseUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

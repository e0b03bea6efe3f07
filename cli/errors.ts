/** Bad flags or invalid input: exit 2, nothing written. */
export class UsageError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
    this.name = 'UsageError';
  }
}

import type { StateValue } from 'xstate';

/** "running.awaiting" for { running: 'awaiting' }: one string per active path. */
export function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${statePath(child as StateValue)}`))
    .join(',');
}

/** The top-level run state of a state path ("running" for "running.awaiting"). */
export const topState = (path: string): string => path.split('.')[0] ?? path;

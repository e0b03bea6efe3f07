import type { EffectKey, Registry } from './port.ts';

/**
 * One run's effect records, bound to its registry: what effects read before they act (a recorded
 * outcome is returned as is) and write once they have (CONTRACT 6). Effects get this, never a path.
 */
export interface RunRecords {
  read<T>(key: EffectKey, accept: (value: unknown) => value is T, what: string): Promise<T | null>;
  write(key: EffectKey, value: unknown): Promise<void>;
  remove(key: EffectKey): Promise<void>;
  /** The keys recorded under a prefix (`tasks/`), in no order. */
  keys(prefix: string): Promise<EffectKey[]>;
}

export function runRecords(registry: Pick<Registry, 'readEffect' | 'writeEffect' | 'removeEffect' | 'effectKeys'>, runId: string): RunRecords {
  return {
    read: (key, accept, what) => registry.readEffect(runId, key, accept, what),
    write: (key, value) => registry.writeEffect(runId, key, value),
    remove: (key) => registry.removeEffect(runId, key),
    keys: (prefix) => registry.effectKeys(runId, prefix),
  };
}

/** Accepts any object: for records whose writer is this program and whose reader checks fields itself. */
export const isRecordObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

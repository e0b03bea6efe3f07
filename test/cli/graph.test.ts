import { describe, expect, it } from 'vitest';
import { buran } from '../helpers/sandbox.ts';
import { RUN_STATES } from '../../machines/states.ts';

describe('buran graph', () => {
  it('prints every CONTRACT state and the fail-closed running → blocked_needs_human edge, read from the machine', async () => {
    const result = await buran(['graph', '--format', 'json']);
    expect(result.code).toBe(0);
    const graph = JSON.parse(result.stdout);
    expect(graph.root.children.map((c: any) => c.key)).toEqual([...RUN_STATES]);
    const edges = graph.edges.map((e: any) => `${e.source} -> ${e.target}`);
    expect(edges).toContain('run.running.dispatching -> run.blocked_needs_human');
    expect(edges).toContain('run.running.awaiting -> run.blocked_needs_human');
    expect(edges).toContain('run.internal_review.awaiting -> run.fix_loop');
  });

  it('prints Mermaid by default', async () => {
    const result = await buran(['graph']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('stateDiagram-v2')).toBe(true);
    expect(result.stdout).toContain('verification_running_commands --> fix_loop');
  });

  it('rejects an unknown format with exit 2', async () => {
    expect((await buran(['graph', '--format', 'svg'])).code).toBe(2);
  });
});

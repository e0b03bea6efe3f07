// `buran graph --format scxml`: well-formed SCXML carrying every state and transition of the shared graph module.
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { buran } from '../helpers/sandbox.ts';
import { runMachine } from '../../machines/run-machine.ts';

/** Tags of a small XML document: checks nesting and returns every element with its attributes. */
function parseXml(text: string): Array<{ tag: string; attrs: Record<string, string>; parent: string | null }> {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: Array<{ tag: string; id: string | null }> = [];
  const out: Array<{ tag: string; attrs: Record<string, string>; parent: string | null }> = [];
  for (const m of body.matchAll(/<(\/?)([a-z]+)((?:\s+[a-z]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, tag, rawAttrs, selfClose] = m;
    if (close) {
      expect(stack.pop()?.tag, `closing ${tag}`).toBe(tag);
      continue;
    }
    const attrs = Object.fromEntries([...rawAttrs!.matchAll(/([a-z]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!.replace(/&amp;/g, '&')]));
    out.push({ tag: tag!, attrs, parent: stack.at(-1)?.id ?? null });
    if (!selfClose) stack.push({ tag: tag!, id: attrs.id ?? null });
  }
  expect(stack).toEqual([]);
  expect(body.replace(/<[^>]*>/g, '').trim()).toBe('');
  return out;
}

describe('buran graph --format scxml', () => {
  it('declares every state once, nested as in the machine, with every transition, guard and initial state', async () => {
    const [scxml, json] = await Promise.all([buran(['graph', '--format', 'scxml']), buran(['graph', '--format', 'json'])]);
    expect(scxml.code).toBe(0);
    const graph = JSON.parse(json.stdout);
    const elements = parseXml(scxml.stdout);
    expect(elements[0]).toMatchObject({ tag: 'scxml', attrs: { xmlns: 'http://www.w3.org/2005/07/scxml', version: '1.0', initial: 'run' } });

    const states = new Map(elements.filter((e) => ['state', 'final'].includes(e.tag)).map((e) => [e.attrs.id!, e]));
    const walk = (node: any, parent: string | null, machineNode: AnyStateNode) => {
      const el = states.get(node.id);
      expect(el, node.id).toBeDefined();
      expect(el!.tag).toBe(node.type === 'final' ? 'final' : 'state');
      expect(el!.parent).toBe(parent);
      if (node.children.length > 0) {
        // The first child is the initial state, as the machine says.
        expect(el!.attrs.initial).toBe(node.children[0].id);
        expect(machineNode.initial?.target[0]?.id).toBe(node.children[0].id);
      }
      for (const child of node.children) walk(child, node.id, machineNode.states[child.key]!);
    };
    walk(graph.root, null, runMachine.root);
    expect(states.size).toBe(elements.filter((e) => ['state', 'final'].includes(e.tag)).length);

    const transitions = elements.filter((e) => e.tag === 'transition')
      .map((e) => [e.parent, e.attrs.event ?? 'always', e.attrs.target, e.attrs.cond ?? null]);
    expect(transitions).toEqual(graph.edges.map((e: any) => [e.source, e.event, e.target, e.guard]));
    for (const [, , target] of transitions) expect(states.has(target!)).toBe(true);
    expect(elements.filter((e) => e.tag === 'invoke').map((e) => e.attrs.src)).toEqual(
      expect.arrayContaining(['recordIntake', 'prepareWorkspace', 'acquireLease', 'runVerification', 'performHandoff']),
    );
  });
});

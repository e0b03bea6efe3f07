// Real replay: a sample of generated run-model paths runs end to end through the built CLI with scripted fixture workers.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from '../../machines/run-rules.ts';
import { makeSandbox, runIn, statusOf, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { replayAll } from './model-kit.ts';
import { cliPlan, expectedOutcome, observedOutcome, SAMPLE, type CliPlan } from './replay-plan.ts';
import { runPaths, runSpec, runStepper } from './run-model.ts';

const generated = runPaths();
const replayed = replayAll(runStepper, runSpec(), generated);
const candidates = generated
  .map((path, i) => ({ path, steps: replayed[i]! }))
  .map((p) => ({ ...p, plan: cliPlan(p.path, p.steps) }))
  .filter((p): p is typeof p & { plan: CliPlan } => p.plan !== null)
  .sort((a, b) => a.path.events.length - b.path.events.length);

const sample = SAMPLE.map(({ name, matches }) => {
  const found = candidates.find(({ path, steps }) => {
    const last = steps.at(-1)!.next;
    const state = typeof last.value === 'string' ? last.value : Object.keys(last.value)[0]!;
    return last.status === 'done' && matches(path.events.map((e) => e.variant), last.context as RunContext, state);
  });
  return { name, found };
});

describe('generated paths replayed through the real CLI', () => {
  it('the sample has a replayable generated path for every kind of ending it names', () => {
    expect(sample.filter((s) => !s.found).map((s) => s.name)).toEqual([]);
    expect(sample.length).toBeGreaterThanOrEqual(6);
  });

  describe.concurrent.each(sample.filter((s) => s.found))('$name', ({ found }) => {
    const { path, steps, plan } = found!;
    it(`${path.scenario}: ${path.events.map((e) => e.variant).join(' → ')}`, async () => {
      const sb = makeSandbox();
      writeFileSync(join(sb.workspace, 'check-exit.txt'), plan.checkExits.join(',') || '0');
      const cli = plan.scenario.cli!;
      const config = writeConfig(sb, { ...plan.modes, ...(plan.workerTimeout ? { timeoutMs: 2500 } : {}) }, {
        verification: { allowed_commands: cli.allowed, ...(plan.verificationTimeout ? { timeout_ms: 1500 } : {}) },
        limits: { max_fix_attempts: cli.maxFix, max_dispatch_retries: cli.maxRetries },
      });
      const result = await runIn(sb, config, writePacket(sb, cli.packetPatch));
      const status = await statusOf(sb, result.runId);
      expect(observedOutcome(result.code, status), result.stderr).toEqual(expectedOutcome(steps));
      // Every scripted mode was played: the real run made exactly the dispatches the path made.
      for (const [role, modes] of Object.entries(plan.modes)) {
        const expected = steps.filter((s) => s.event.variant.startsWith('task:') && (s.prev.context as RunContext).current?.role === role).length;
        expect(sb.calls(role).length, `${role} dispatches (modes ${modes.join(',')})`).toBe(expected);
      }
    }, 60_000);
  });
});

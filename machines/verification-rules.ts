import type { Finding, VerificationReport } from './types.ts';
import { verificationExit } from './workspace-rules.ts';

/** What running one verification command showed (the adapter's facts). */
export type CommandFacts =
  | { kind: 'unparsable'; message: string }
  | { kind: 'start_failed'; message: string }
  | { kind: 'timed_out'; timeoutMs: number }
  | { kind: 'exited'; exitCode: number | null; signal: string | null; /** The log's head and tail, redacted (only read for a non-zero exit). */ tail: string; log: string };

/** How one command is judged: its outcome, and whether it ends the gate (with the verdict and why). */
export interface CommandJudgement {
  outcome: VerificationReport['commands'][number]['outcome'];
  exit_code: number | null;
  end: { verdict: 'FAIL' | 'BLOCKED'; message: string; finding: Finding | null } | null;
}

/**
 * Verification's one rule: commands run in order and the first that does not pass ends the gate.
 * A command that cannot start, runs out of time, or whose program is missing (126/127, "npx
 * canceled") is the workspace's problem, not the change's: BLOCKED, nothing for a fixer. Any
 * other non-zero exit is a FAIL, with the log's excerpt as the fixer's finding.
 */
export function judgeCommand(command: string, facts: CommandFacts): CommandJudgement {
  const quoted = JSON.stringify(command);
  switch (facts.kind) {
    case 'unparsable':
    case 'start_failed':
      return { outcome: 'start_failed', exit_code: null, end: { verdict: 'BLOCKED', message: `verification command ${quoted} cannot start: ${facts.message}`, finding: null } };
    case 'timed_out':
      return { outcome: 'timed_out', exit_code: null, end: { verdict: 'BLOCKED', message: `verification command ${quoted} ran past ${facts.timeoutMs} ms and was killed`, finding: null } };
    case 'exited': {
      const judged = verificationExit(facts.exitCode, facts.tail);
      if (judged === 'passed') return { outcome: 'passed', exit_code: facts.exitCode, end: null };
      if (judged === 'not_found') {
        const message = `verification command ${quoted} exited ${facts.exitCode}: a program it runs was not found or cannot run `
          + `(this is the workspace, not the change: install what it needs with a workspace.setup step, or fix the command)\n${facts.tail}`.trim();
        return { outcome: 'start_failed', exit_code: facts.exitCode, end: { verdict: 'BLOCKED', message, finding: null } };
      }
      const message = `verification command ${quoted} failed with ${facts.signal ?? `exit code ${facts.exitCode}`}`;
      return {
        outcome: 'failed', exit_code: facts.exitCode,
        end: { verdict: 'FAIL', message, finding: { severity: 'error', message: `${message}\n${facts.tail}`.trim(), path: facts.log } },
      };
    }
  }
}

/** The gate's report once its commands have been judged (the last judgement may end it). */
export function verificationReport(epoch: number, commands: VerificationReport['commands'], last: CommandJudgement | null): VerificationReport {
  if (last?.end) {
    return { epoch, verdict: last.end.verdict, findings: last.end.finding ? [last.end.finding] : [], message: last.end.message, commands };
  }
  return { epoch, verdict: 'PASS', findings: [], message: `all ${commands.length} verification command(s) passed`, commands };
}

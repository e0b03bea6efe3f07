import type { Blocker } from './types.ts';

/** How one workspace.setup command ended, as the setup actor saw it (facts). */
export interface SetupCommandResult {
  command: string[];
  outcome: 'passed' | 'failed' | 'timed_out' | 'start_failed';
  exit_code: number | null;
  /** Why it could not start, or the kill's bound. */
  detail: string;
  /** The last lines it printed (redacted), for the blocker. */
  output_tail: string;
  log: string;
}

/** What workspace.setup did: its commands in order, stopping at the first that did not pass. */
export interface SetupReport {
  commands: SetupCommandResult[];
}

/** True when a setup command did not pass: the run cannot work in this workspace. */
export function setupFailed(report: SetupReport): boolean {
  return report.commands.some((c) => c.outcome !== 'passed');
}

/** The workspace_setup_failed blocker: which command, how it ended, and its output (CONTRACT 3). */
export function setupBlocker(report: SetupReport): Blocker {
  const index = report.commands.findIndex((c) => c.outcome !== 'passed');
  const failed = report.commands[index]!;
  const how = failed.outcome === 'failed'
    ? `exited with code ${failed.exit_code}`
    : failed.outcome === 'timed_out' ? `was killed: ${failed.detail}` : `could not start: ${failed.detail}`;
  const output = failed.output_tail.trim() === '' ? ' (it printed nothing)' : `; its output (full log ${failed.log}):\n${failed.output_tail.trimEnd()}`;
  return {
    code: 'workspace_setup_failed',
    message: `workspace.setup command ${index + 1} ${JSON.stringify(failed.command.join(' '))} ${how}${output}`,
  };
}

/** Where the change holds something that looks like a secret: a file, a line, what it looks like (never the value). */
export interface SecretFinding {
  path: string;
  line: number;
  what: string;
}

/** What the pre-commit scan of the change found. */
export interface ScanReport {
  findings: SecretFinding[];
}

export const NO_SECRETS: ScanReport = { findings: [] };

const LISTED = 10;

/** The secret_in_change blocker, naming each file and line (CONTRACT 6). */
export function secretsBlocker(report: ScanReport): Blocker {
  const shown = report.findings.slice(0, LISTED).map((f) => `${f.path}:${f.line} (${f.what})`);
  const more = report.findings.length > LISTED ? ` and ${report.findings.length - LISTED} more` : '';
  return {
    code: 'secret_in_change',
    message: `the change holds what looks like a secret, so nothing was committed or pushed: ${shown.join(', ')}${more}`,
  };
}

/**
 * How one verification command's exit is judged: 0 passes; 126/127 (the shell's "cannot
 * execute" / "command not found", e.g. `npm test` whose test runner is not installed) is the
 * environment's problem, not the code's, so the gate is BLOCKED rather than a FAIL for the fixer.
 */
export function verificationExit(exitCode: number | null, output = ''): 'passed' | 'failed' | 'not_found' {
  if (exitCode === 0) return 'passed';
  if (exitCode === 127 || exitCode === 126) return 'not_found';
  return NOT_INSTALLED.some((shape) => shape.test(output)) ? 'not_found' : 'failed';
}

// What tools print when what they would run is not installed, though they exit 1: npx refuses to
// fetch a package without --yes (`npx xo` in a fresh worktree), a shell reports a missing command.
const NOT_INSTALLED = [/npx canceled due to missing packages/, /^(?:sh|bash|\/bin\/sh): (?:\d+: )?[^\n]*: (?:command )?not found$/m];

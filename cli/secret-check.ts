import { REDACTED, redact, redactDeep, secretPaths, secretValues } from '../adapters/redact.ts';
import { passedEnvNames, type Config } from '../schemas/config.ts';
import type { MissingItem } from '../schemas/packet.ts';
import { UsageError } from './errors.ts';

/** The secret values a run of this config must never record: secret-named variables and every name the config passes through. */
export function intakeSecrets(config: Config | null, env: NodeJS.ProcessEnv = process.env): string[] {
  return secretValues(env, config === null ? [] : passedEnvNames(config));
}

/**
 * A config that holds a secret (a token in a worker's arguments, say) is refused (exit 2): it
 * would be recorded in every run, and the way to hand a secret to a worker is its `env`.
 */
export function refuseSecretsInConfig(config: Config, source: string, secrets: readonly string[]): void {
  const paths = secretPaths(config, secrets);
  if (paths.length === 0) return;
  throw new UsageError(`config ${source} holds what looks like a secret, which would be recorded with every run`, paths.map((path) =>
    `${path}: holds a token or a secret variable's value: pass it through the worker's "env" (or handoff.env) by variable name instead`));
}

/**
 * Verification commands are run as written, so one holding a secret can be neither recorded nor
 * run redacted: it is a packet item (the run ends blocked_plan_insufficient before any worker).
 */
export function secretCommandItems(packet: Record<string, unknown>, secrets: readonly string[]): MissingItem[] {
  const commands = (packet.verification as { commands?: unknown } | undefined)?.commands;
  if (!Array.isArray(commands)) return [];
  return commands.flatMap((command, i) => {
    if (typeof command !== 'string') return [];
    if (redact(command, secrets) === command && !command.includes(REDACTED)) return [];
    return [{
      item: `verification.commands.${i}`,
      message: `verification.commands.${i} holds what looks like a secret (a token, or a secret variable's value), which would be recorded: put the command in a script that reads the secret from its environment, and pass the variable by name`,
    }];
  });
}

/** The packet as it may be recorded: every string redacted (instructions, criteria, commands …). */
export function recordablePacket(packet: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  return redactDeep(packet, secrets);
}

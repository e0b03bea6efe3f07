import { checkPacketKeys, type KeyReport } from './packet-keys.ts';
import { shellSyntaxError, shellSyntaxIn } from './shell-syntax.ts';

/**
 * What makes a packet object invalid beyond its shape (CONTRACT 2): misspelled or misplaced
 * keys, and verification commands holding shell syntax. `unknown` keys are only reported.
 */
export function checkPacket(packet: Record<string, unknown>): KeyReport {
  const report = checkPacketKeys(packet);
  const verification = packet.verification;
  const commands = typeof verification === 'object' && verification !== null ? (verification as Record<string, unknown>).commands : undefined;
  if (Array.isArray(commands)) {
    commands.forEach((command, index) => {
      if (typeof command !== 'string') return;
      const syntax = shellSyntaxIn(command);
      if (syntax !== null) report.errors.push(shellSyntaxError(`verification.commands.${index}`, command, syntax));
    });
  }
  return report;
}

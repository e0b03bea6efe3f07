import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.ts';
import { parseCount, parsePort, parseSteps, parseUsd } from './flag-values.ts';
import { processOutput, redactOutput, type Output } from './output.ts';
import { packageVersion } from './package-root.ts';
// The registry's kind is told from its name alone: no registry code loads before a command needs it.
import { isDatabaseUrl } from '../persistence/database-url.ts';

const output = processOutput();
const cwd = process.cwd();

interface Common {
  registry?: string;
  json?: boolean;
}

/**
 * The registry: a folder, or a `postgres://` URL (a fleet's shared registry). A path that exists
 * but is not a folder is a usage error for every command.
 */
function registryOf(opts: Common): string {
  const given = opts.registry ?? process.env.BURAN_REGISTRY ?? '.buran';
  if (isDatabaseUrl(given)) return given;
  const root = resolve(cwd, given);
  const found = statSync(root, { throwIfNoEntry: false });
  if (found !== undefined && !found.isDirectory()) {
    throw new UsageError(`--registry ${root} is a file, not a folder: give a folder (it is created if missing)`);
  }
  return root;
}

/** Every command accepts --registry and --json (CONTRACT 1). */
function common(command: Command): Command {
  return command
    .option('--registry <dir>', 'registry folder or postgres:// URL (default: $BURAN_REGISTRY, else ./.buran)')
    .option('--json', 'machine output on stdout, nothing else');
}

/** --inspect flags of run/resume (CONTRACT 7); --inspect-port or --inspect-wait imply --inspect. */
function inspectable(command: Command): Command {
  return command
    .option('--inspect', 'serve the live statechart inspector on 127.0.0.1 while the run is driven (URL on stderr)')
    .addOption(new Option('--inspect-port <n>', 'inspector port (default 4777; 0 = any free port)').argParser(parsePort))
    .option('--inspect-wait', 'keep the inspector serving after the run ends, until Ctrl-C');
}

interface InspectOpts {
  inspect?: boolean;
  inspectPort?: number;
  inspectWait?: boolean;
}

const inspectFlag = (opts: InspectOpts) =>
  opts.inspect || opts.inspectPort !== undefined || opts.inspectWait ? { port: opts.inspectPort ?? 4777, wait: opts.inspectWait === true } : undefined;

/**
 * A command that drives a run starts its log relay before loading the driver: the relay's own Node
 * start then overlaps that load instead of delaying the first worker.
 */
async function relayAhead(): Promise<void> {
  const { startRelayEarly } = await import('../adapters/output-relay.ts');
  startRelayEarly();
}

function program(): Command {
  const cli = new Command('buran')
    .description('Drives an approved work-item packet through implementation, verification, review and a bounded fix loop.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(redactOutput(s)), writeOut: (s) => process.stdout.write(s) });

  common(cli.command('init'))
    .description('write a starter buran.config.json and packet.example.json here, where none exist (never overwrites)')
    .action(async (opts: Common) => {
      const { initCommand } = await import('./commands/init.ts');
      exitCode = await initCommand({ cwd, json: opts.json === true }, output);
    });

  common(cli.command('validate').argument('<packet>', 'packet or packet list (JSON or YAML)'))
    .description('check a packet against the schema and the sufficiency rules (with --config, also the preflight of a run); writes nothing')
    .option('--config <file>', 'also check the config, and the packet against it, as `run` would before any worker starts')
    .option('--workspace <dir>', 'with --config: the workspace the run would use')
    .option('--repo <dir>', 'with --config: the checkout the run would get a worktree of')
    .action(async (packet: string, opts: Common & { config?: string; workspace?: string; repo?: string }) => {
      const { validateCommand } = await import('./commands/validate.ts');
      exitCode = await validateCommand(packet, {
        config: opts.config, workspace: opts.workspace, repo: opts.repo, registry: registryOf(opts), cwd, json: opts.json === true,
      }, output);
    });

  inspectable(common(cli.command('run').argument('[packet]', 'the approved packet (JSON or YAML)')))
    .description('intake one packet and drive its run to a terminal state')
    .option('--config <file>', 'config file (default: ./buran.config.json)')
    .option('--workspace <dir>', 'run the workers in this folder as it is (default: the current folder)')
    .option('--repo <dir>', 'give the run its own git worktree of this checkout')
    .option('--run-id <id>', 'id for the new run')
    .option('--run <id>', 'continue a recorded run instead (same as "resume")')
    .option('--until <state>', 'stop (exit 6) once the run enters this state')
    .addOption(new Option('--max-steps <n>', 'stop (exit 6) after this many run transitions').argParser(parseSteps))
    .action(async (packet: string | undefined, opts: Common & Record<string, string | number | undefined>) => {
      const flags = {
        registry: registryOf(opts), until: opts.until as string | undefined, maxSteps: opts.maxSteps as number | undefined, json: opts.json === true,
        inspect: inspectFlag(opts as InspectOpts),
      };
      await relayAhead();
      const { runCommand, resumeCommand } = await import('./commands/run.ts');
      if (opts.run !== undefined) {
        if (packet !== undefined) throw new UsageError('give either a packet or --run ID, not both');
        exitCode = await resumeCommand(String(opts.run), flags, output);
        return;
      }
      if (packet === undefined) throw new UsageError('run needs a packet file (or --run ID to continue a recorded run)');
      exitCode = await runCommand({
        packetPath: packet, config: opts.config as string | undefined, workspace: opts.workspace as string | undefined,
        repo: opts.repo as string | undefined, runId: opts.runId as string | undefined, registry: flags.registry, cwd,
      }, flags, output);
    });

  common(cli.command('batch').argument('[list]', 'packet list: { "packets": [ … ] } (JSON or YAML)'))
    .description('one run per packet, at most N at once in this process; --resume continues a batch')
    .addOption(new Option('--concurrency <n>', 'runs at once (default 3)').argParser(parseCount))
    .option('--config <file>', 'config file (default: ./buran.config.json)')
    .option('--workspace <dir>', 'run every packet\'s workers in this folder (runs then take turns: one workspace lease)')
    .option('--repo <dir>', 'give each run its own git worktree of this checkout')
    .option('--batch-id <id>', 'id for the new batch')
    .option('--resume <batch-id>', 'continue a recorded batch; finished runs are not run again')
    .addOption(new Option('--max-cost-usd <usd>', 'start no new run once the batch\'s agents have reported this cost').argParser(parseUsd))
    .action(async (list: string | undefined, opts: Common & Record<string, string | number | undefined>) => {
      const { batchCommand } = await import('./commands/batch.ts');
      exitCode = await batchCommand({
        list, resume: opts.resume as string | undefined, batchId: opts.batchId as string | undefined, concurrency: opts.concurrency as number | undefined,
        maxCostUsd: opts.maxCostUsd as number | undefined,
        config: opts.config as string | undefined, workspace: opts.workspace as string | undefined, repo: opts.repo as string | undefined,
        registry: registryOf(opts), cwd, json: opts.json === true,
      }, output);
    });

  common(cli.command('submit').argument('<packets>', 'a packet or a packet list (JSON or YAML)'))
    .description('queue one run per packet in a shared registry (--registry postgres://…) for the runner hosts, and exit')
    .option('--config <file>', 'config file the runs are frozen with (default: ./buran.config.json)')
    .action(async (path: string, opts: Common & { config?: string }) => {
      const { submitCommand } = await import('./commands/submit.ts');
      exitCode = await submitCommand({ path, config: opts.config, registry: registryOf(opts), cwd, json: opts.json === true }, output);
    });

  common(cli.command('worker'))
    .description('be a runner host: claim queued runs from a shared registry and drive them here, until SIGINT/SIGTERM')
    .option('--host-id <id>', "this host's name in the fleet (default: $BURAN_HOST_ID, else the machine's host name)")
    .addOption(new Option('--concurrency <n>', 'runs driven at once (default 2)').argParser(parseCount))
    .option('--repo <dir>', "this host's clone of the repository the runs work on (default: the current folder)")
    .option('--config <file>', 'config file for this host (its fleet section; default: ./buran.config.json)')
    .action(async (opts: Common & { hostId?: string; concurrency?: number; repo?: string; config?: string }) => {
      const { workerCommand } = await import('./commands/worker.ts');
      exitCode = await workerCommand({
        registry: registryOf(opts), hostId: opts.hostId, concurrency: opts.concurrency, repo: opts.repo, config: opts.config, cwd, json: opts.json === true,
      }, output);
    });

  inspectable(common(cli.command('retry').argument('<id>', 'a finished run')))
    .description("start a new run from a finished run's frozen packet, with the config as it is now (the way on after a config problem)")
    .option('--config <file>', "config file (default: the one the run was started with, read again; else ./buran.config.json)")
    .option('--until <state>', 'stop (exit 6) once the new run enters this state')
    .addOption(new Option('--max-steps <n>', 'stop (exit 6) after this many run transitions').argParser(parseSteps))
    .action(async (id: string, opts: Common & InspectOpts & { config?: string; until?: string; maxSteps?: number }) => {
      await relayAhead();
      const { retryCommand } = await import('./commands/retry.ts');
      exitCode = await retryCommand(id, {
        registry: registryOf(opts), until: opts.until, maxSteps: opts.maxSteps, json: opts.json === true, inspect: inspectFlag(opts), config: opts.config, cwd,
      }, output);
    });

  inspectable(common(cli.command('resume').argument('<id>', 'run id')))
    .description('continue a recorded run from the registry')
    .option('--until <state>', 'stop (exit 6) once the run enters this state')
    .addOption(new Option('--max-steps <n>', 'stop (exit 6) after this many run transitions').argParser(parseSteps))
    .action(async (id: string, opts: Common & InspectOpts & { until?: string; maxSteps?: number }) => {
      await relayAhead();
      const { resumeCommand } = await import('./commands/run.ts');
      exitCode = await resumeCommand(id, { registry: registryOf(opts), until: opts.until, maxSteps: opts.maxSteps, json: opts.json === true, inspect: inspectFlag(opts) }, output);
    });

  common(cli.command('status').argument('<id>', 'run id'))
    .description('read-only report: state, epoch, budgets, tasks, blockers, next safe action')
    .action(async (id: string, opts: Common) => {
      const { statusCommand } = await import('./commands/read-commands.ts');
      exitCode = await statusCommand(id, registryOf(opts), opts.json === true, output);
    });

  common(cli.command('list'))
    .description('one line per run, most recently updated first: id, state, updated, cost, blocker code')
    .option('--state <state>', 'only runs in this state (e.g. blocked_needs_human)')
    .addOption(new Option('--limit <n>', 'at most this many runs').argParser((v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--limit ${v}: needs a whole number of at least 1`);
      return Number(v);
    }))
    .action(async (opts: Common & { state?: string; limit?: number }) => {
      const { listCommand } = await import('./commands/list.ts');
      exitCode = await listCommand({ registry: registryOf(opts), json: opts.json === true, state: opts.state, limit: opts.limit }, output);
    });

  common(cli.command('events').argument('<id>', 'run id'))
    .description("the run's event journal, oldest first (--json: JSON Lines)")
    .action(async (id: string, opts: Common) => {
      const { eventsCommand } = await import('./commands/read-commands.ts');
      exitCode = await eventsCommand(id, registryOf(opts), opts.json === true, output);
    });

  common(cli.command('logs').argument('<id>', 'run id').argument('[task-id]', "only this worker task's output"))
    .description("the run's worker and verification output, oldest first; -f follows a live run until it ends")
    .option('-f, --follow', 'keep printing new output until the run ends')
    .action(async (id: string, taskId: string | undefined, opts: Common & { follow?: boolean }) => {
      const { logsCommand } = await import('./commands/logs.ts');
      exitCode = await logsCommand(id, { registry: registryOf(opts), taskId, follow: opts.follow === true, json: opts.json === true }, output);
    });

  common(cli.command('diff').argument('<id>', 'run id'))
    .description("the run's change: the handoff patch, or the workspace diff of an unfinished run")
    .action(async (id: string, opts: Common) => {
      const { diffCommand } = await import('./commands/diff.ts');
      exitCode = await diffCommand(id, { registry: registryOf(opts), json: opts.json === true }, output);
    });

  common(cli.command('cancel').argument('<id>', 'run id'))
    .description("stop the run's workers (and its driver, if live) and end it blocked_needs_human / cancelled; idempotent")
    .action(async (id: string, opts: Common) => {
      const { cancelCommand } = await import('./commands/manage.ts');
      exitCode = await cancelCommand(id, registryOf(opts), opts.json === true, output);
    });

  common(cli.command('reclaim').argument('<id>', 'run id'))
    .description('release the expired workspace lease of a run no live process drives')
    .action(async (id: string, opts: Common) => {
      const { reclaimCommand } = await import('./commands/manage.ts');
      exitCode = await reclaimCommand(id, registryOf(opts), opts.json === true, output);
    });

  common(cli.command('clean').argument('[ids...]', 'run ids (default: every finished run with a worktree)'))
    .description('remove the git worktrees of finished runs and free their leases (branches and records stay)')
    .action(async (ids: string[], opts: Common) => {
      const { cleanCommand } = await import('./commands/clean.ts');
      exitCode = await cleanCommand(ids, registryOf(opts), opts.json === true, output);
    });

  common(cli.command('graph'))
    .description('print the run statechart as defined in code')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'json', 'scxml']).default('mermaid'))
    .action(async (opts: Common & { format: string }) => {
      const { graphCommand } = await import('./commands/graph.ts');
      exitCode = graphCommand(opts.json === true ? 'json' : opts.format, output);
    });

  common(cli.command('inspect').argument('[id]', 'a recorded run the page opens in replay'))
    .description('serve the statechart inspector on 127.0.0.1 until Ctrl-C (live view: buran run … --inspect)')
    .addOption(new Option('--port <n>', 'port (default 4777; 0 = any free port)').argParser(parsePort))
    .action(async (id: string | undefined, opts: Common & { port?: number }) => {
      const { inspectCommand } = await import('./commands/inspect.ts');
      exitCode = await inspectCommand(id, { registry: registryOf(opts), port: opts.port ?? 4777, json: opts.json === true }, output);
    });
  return cli;
}

let exitCode = 0;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  try {
    await program().parseAsync(process.argv);
  } catch (error) {
    exitCode = await failure(error, json, output);
  }
  process.exitCode = exitCode;
}

async function failure(error: unknown, json: boolean, out: Output): Promise<number> {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
  }
  const { classify } = await import('./classify-error.ts');
  const { code, exit, message, details } = classify(error);
  if (json) out.out(JSON.stringify({ error: { code, message, details } }));
  out.err(`buran: ${message}`);
  for (const d of details) out.err(`  - ${d}`);
  return exit;
}

// No top-level await: the bundle is CommonJS (see cli/boot.ts); main() reports its own failures.
void main();

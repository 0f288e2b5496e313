/**
 * The `anvil-install` command line. Each command lives in `src/commands/<name>.ts` and registers
 * itself; this file only wires them up and owns the one top-level error handler.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnvilError, PromptCancelled } from './errors.js';
import { masked, output } from './output.js';
import { ROOT } from './paths.js';
import { registerAll } from './commands/index.js';

/** The package version, from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Build the commander program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('anvil-install')
    .description('Build a two-node HA KVM platform (an Anvil!) exactly as AN!Cluster Tutorial 2 teaches it.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => output().out.write(s),
      writeErr: (s) => output().err.write(s),
    });
  registerAll(program);
  return program;
}

/** Print a user error the way every command does: `✖ message` + hint. */
export function printError(e: unknown): number {
  const err = output().err;
  if (e instanceof PromptCancelled) {
    err.write(`${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof AnvilError) {
    err.write(`✖ ${masked(e.message)}\n`);
    if (e.hint) err.write(`  hint: ${masked(e.hint)}\n`);
    return e.exitCode;
  }
  const msg = masked(e instanceof Error ? e.message : String(e));
  err.write(`✖ internal error: ${msg}\n`);
  if (process.env.ANVIL_DEBUG && e instanceof Error) err.write(`${masked(e.stack ?? '')}\n`);
  else err.write('  hint: this is a bug in anvil-install; re-run with ANVIL_DEBUG=1 for a stack trace and report it\n');
  return 70;
}

/** Entry point: parse argv, run, exit with a sane code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.exitCode = printError(e);
  }
}

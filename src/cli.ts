/**
 * The `anvil-install` command line. Each command lives in `src/commands/<name>.ts` and registers
 * itself; this file only wires them up and owns the one top-level error handler.
 */
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnvilError, PromptCancelled } from './errors.js';
import { masked, output } from './output.js';
import { ROOT } from './paths.js';
import { registerCommands } from './commands/index.js';
import { EXIT, EXIT_CODES_TEXT } from './commands/exit-codes.js';
import { Interrupted } from './commands/interrupt.js';
import { errnoWords, isFileError } from './util/ensure-dir.js';
import { applyColorPolicy } from './util/colors.js';

/** The package version, from package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Build the commander program (exported for tests): with `argv`, only the sub-command it names when
 * it names one (see registerCommands), else all of them.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('anvil-install')
    .description('Build a two-node HA KVM platform (an Anvil!) exactly as AN!Cluster Tutorial 2 teaches it.')
    .version(version(), '-V, --version')
    .configureOutput(outputConfig('anvil-install --help'))
    .addHelpText(
      'after',
      `
Environment:
  ANVIL_DEBUG=1   print a stack trace for internal errors
  NO_COLOR=1      no colours;  CI=1: no spinners and no questions
  SSH_AUTH_SOCK   the ssh-agent used to log in to the nodes

${EXIT_CODES_TEXT}`,
    );
  await registerCommands(program, argv);
  // NOTE: per command, so the hint of a usage error names that command's --help.
  const each = (c: Command, path: string) => {
    c.configureOutput(outputConfig(`${path} --help`));
    for (const sub of c.commands) each(sub, `${path} ${sub.name()}`);
  };
  for (const c of program.commands) each(c, `anvil-install ${c.name()}`);
  return program;
}

/**
 * Commander's messages in the form of every other error: `✖ message` and a hint (a "Did you mean"
 * folded into the message).
 */
function outputConfig(help: string): OutputConfiguration {
  return {
    writeOut: (s) => output().out.write(s),
    writeErr: (s) => output().err.write(s),
    outputError: (str, write) => {
      const lines = str
        .trim()
        .replace(/^error: /, '')
        .split('\n');
      const mean = lines.find((l) => /^\(Did you mean/.test(l));
      const msg = lines.filter((l) => l !== mean).join(' ');
      const guess = mean ? ` — ${mean.replace(/^\((Did you mean)(.*)\)$/, 'did you mean$2')}` : '';
      write(`✖ ${msg}${guess}\n  hint: see \`${help}\`\n`);
    },
  };
}

/** Print a user error the way every command does: `✖ message` + hint. */
export function printError(e: unknown): number {
  const err = output().err;
  // NOTE: a cancel or an interrupt is the operator's choice, not an error: its line, without ✖.
  if (e instanceof PromptCancelled || e instanceof Interrupted) {
    err.write(`${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof AnvilError) {
    err.write(`✖ ${masked(e.message)}\n`);
    if (e.hint) err.write(`  hint: ${masked(e.hint)}\n`);
    return e.exitCode;
  }
  if (isFileError(e)) {
    // NOTE: a file or folder the operator named (or its parent) cannot be used: their problem, not a bug.
    const what = e.path
      ? `${e.syscall ? `${e.syscall.replace(/^open$/, 'open').replace(/^mkdir$/, 'create')} ` : ''}${e.path}`
      : (e.syscall ?? 'a file');
    err.write(`✖ cannot ${what}: ${errnoWords(e.code)}\n`);
    err.write('  hint: check the path and its permissions, or choose another (--out / --state)\n');
    return EXIT.failed;
  }
  const msg = masked(e instanceof Error ? e.message : String(e));
  err.write(`✖ internal error: ${msg}\n`);
  if (process.env.ANVIL_DEBUG && e instanceof Error) err.write(`${masked(e.stack ?? '')}\n`);
  else err.write('  hint: this is a bug in anvil-install; re-run with ANVIL_DEBUG=1 for a stack trace and report it\n');
  return EXIT.internal;
}

/**
 * A reader that stops early (\`plan … | less\` then q, \`| head\`) closes the pipe: stop quietly
 * (exit 0), as \`git\` and \`cat\` do, instead of dying on an unhandled EPIPE.
 */
export function quietOnClosedPipe(
  stream: NodeJS.WriteStream,
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') exit(EXIT.ok);
    else throw e;
  });
}

/** Entry point: parse argv, run, exit with a sane code. */
export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  // NOTE: piped output (`| tee`) or NO_COLOR: plain prompts too, like the diffs.
  applyColorPolicy(!!process.stdout.isTTY && !process.env.CI);
  const program = await buildProgram(argv);
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // NOTE: help and version "errors" keep commander's code (0); a usage error is 2.
      process.exitCode =
        e.exitCode === 0 ||
        e.code === 'commander.help' ||
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version'
          ? e.exitCode
          : EXIT.usage;
      return;
    }
    process.exitCode = printError(e);
  }
}

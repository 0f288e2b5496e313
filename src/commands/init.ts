/** `anvil-install init`: write a commented answers file to start from (the tutorial's cluster). */
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { renderTemplate } from '../engine/render.js';
import { AnvilError } from '../errors.js';
import { say } from '../output.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../paths.js';

/** Default file name written by `init`. */
export const DEFAULT_ANSWERS = 'anvil.yaml';
/** Environment variables the written file reads its passwords from. */
export const INIT_ENV = ['IPMI_PASSWORD', 'RICCI_PASSWORD'];

/** Options of `init`. */
export interface InitOptions {
  out?: string;
  force?: boolean;
}

/** The commented answers file, for `file` (named in its comments). */
export function initAnswersText(file = DEFAULT_ANSWERS): string {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return renderTemplate('answers/init.yaml.ejs', { version, file: basename(file) });
}

/** Write the answers file; `-` prints it. Returns the path written (or `-`). */
export function initCommand(opts: InitOptions): string {
  const out = opts.out ?? DEFAULT_ANSWERS;
  const text = initAnswersText(out === '-' ? DEFAULT_ANSWERS : out);
  if (out === '-') {
    say(text.replace(/\n$/, ''));
    return out;
  }
  if (existsSync(out) && !opts.force)
    throw new AnvilError(`${out} already exists`, 'pass --force to overwrite it, or --out another file');
  writeFileSync(out, text, { mode: 0o600 });
  say(`Wrote ${out}: the tutorial's cluster, every key commented. Next:`);
  say(`  1. edit ${out} for your cluster (names, addresses, MACs, fence devices, disks, VMs)`);
  say(
    `  2. export the passwords it reads: ${INIT_ENV.join(', ')} (e.g. read -rs IPMI_PASSWORD && export IPMI_PASSWORD)`,
  );
  say(`  3. anvil-install plan --answers ${out}`);
  return out;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('init')
    .description(
      "write a commented answers file to start from (the tutorial's cluster; passwords read from the environment)",
    )
    .option('-o, --out <file>', `file to write ("-" prints it)`, DEFAULT_ANSWERS)
    .option('-f, --force', 'overwrite the file if it exists')
    .addHelpText(
      'after',
      `
The file holds the tutorial's cluster (an-cluster-A, an-node01/an-node02) with a comment on every
key. Passwords are written as "\${env:IPMI_PASSWORD}" and "\${env:RICCI_PASSWORD}": export them
before running any command that loads the file.

Examples:
  $ anvil-install init --out anvil.yaml
  $ anvil-install init --out - | less`,
    )
    .action((opts: InitOptions) => {
      initCommand(opts);
    });
}

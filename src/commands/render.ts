/** `anvil-install render`: write the final form of every file of every node into a local folder. */
import type { Command } from 'commander';
import type { Step } from '../engine/types.js';
import { say, warn } from '../output.js';
import { loadReportContext } from '../report/context.js';
import { prepareOutDir, renderTree, type RenderedTreeFile } from '../report/render-tree.js';
import { plural } from '../report/text.js';
import { STEPS } from '../../steps/index.js';
import { AnvilError } from '../errors.js';

/** Options of `render`. */
export interface RenderOptions {
  answers?: string;
  out?: string;
  force?: boolean;
}

/** Render the answers' files into `opts.out`; prints a summary; returns the files written. */
export function renderCommand(
  opts: RenderOptions,
  steps: readonly Step[] = STEPS,
  env: NodeJS.ProcessEnv = process.env,
): RenderedTreeFile[] {
  if (!opts.out) throw new AnvilError('no output folder given', 'pass --out DIR');
  const ctx = loadReportContext(opts.answers, env);
  prepareOutDir(opts.out, !!opts.force);
  // NOTE: the real plan: these files are what goes on the nodes, passwords included.
  const files = renderTree(ctx.plan, steps, opts.out);
  say(
    `Rendered the final form of every file the install writes, for cluster ${ctx.plan.cluster.name}, into ${opts.out}/:`,
  );
  for (const n of ctx.plan.nodes) {
    const mine = files.filter((f) => f.node === n.name);
    say(`  ${opts.out}/${n.name}/  ${plural(mine.length, 'file')}`);
  }
  const edited = [...new Set(files.filter((f) => f.edit).map((f) => f.path))];
  if (edited.length)
    say(
      `Edited in place on the node, shown here as applied to the stock file of a fresh install: ${edited.join(', ')}`,
    );
  const secret = files.filter((f) => f.secret);
  if (secret.length)
    warn(
      `! ${opts.out} holds passwords in clear (${secret.map((f) => `${f.node}${f.path}`).join(', ')}; written mode 0600). ` +
        'Keep it private and delete it when done.',
    );
  return files;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('render')
    .description(
      'write every file the install puts on each node, in its final form, into a local folder (nothing runs)',
    )
    .requiredOption('-a, --answers <file>', 'answers file (YAML)')
    .requiredOption('-o, --out <dir>', 'output folder: DIR/<node name>/<path on the node>')
    .option('-f, --force', 'write into a non-empty folder (files of the same name are overwritten, others left alone)')
    .addHelpText(
      'after',
      `
Files are rendered with the real answers (passwords included, as on the node); files that hold
passwords are written mode 0600. Where a task writes a path more than once, the last write wins.

Examples:
  $ anvil-install render --answers anvil.yaml --out rendered
  $ diff -u rendered/an-node01/etc/hosts rendered/an-node02/etc/hosts`,
    )
    .action((opts: RenderOptions) => {
      renderCommand(opts);
    });
}

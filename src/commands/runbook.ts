/** `anvil-install runbook`: the printable runbook of this cluster (Markdown, HTML or PDF), optionally "as built". */
import type { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { Step } from '../engine/types.js';
import { AnvilError } from '../errors.js';
import { output, say, warn } from '../output.js';
import { loadAsBuilt } from '../report/as-built.js';
import { loadReportContext } from '../report/context.js';
import { htmlToPdf, type PdfOptions } from '../report/pdf.js';
import {
  buildRunbook,
  runbookHtml,
  runbookMarkdown,
  type Paper,
  type RunbookFormat,
  type RunbookInput,
  type RunbookModel,
} from '../report/runbook.js';
import { destinationPages } from '../report/pdf-pages.js';
import { capturedAsOf, planWithCaptured } from '../engine/captured.js';
import { inputHash } from '../engine/input-hash.js';
import { maskAnswers } from '../plan/derive.js';
import { answersHash } from './install.js';
import { STEPS } from '../../steps/index.js';

/** Options of `runbook`. */
export interface RunbookOptions {
  answers?: string;
  format?: string;
  out?: string;
  /** State folder (or state.json) of an install: makes the runbook "as built". */
  state?: string;
  /** a4 or letter (default letter). */
  paper?: string;
}

/** The paper asked for. */
export function paperOf(p: string | undefined): Paper {
  const v = (p ?? 'letter').toLowerCase();
  if (v !== 'a4' && v !== 'letter')
    throw new AnvilError(`unknown paper size "${p}"`, 'use --paper a4 or --paper letter');
  return v;
}

/**
 * Print the PDF twice: the first print tells on which page each step (and the hand-over) starts;
 * the second prints the contents with those page numbers. NOTE: the contents take the same room
 * both times (numbers in a fixed column), so the pages do not move between the two prints.
 */
export async function printRunbookPdf(
  model: RunbookModel,
  secrets: string[],
  out: string,
  tmp: string,
  pdf?: PdfOptions,
): Promise<{ pages: number }> {
  const html = join(tmp, 'runbook.html');
  writeFileSync(html, runbookHtml(model, secrets));
  await htmlToPdf(html, out, pdf);
  const first = destinationPages(readFileSync(out));
  model.pages = first.dests;
  writeFileSync(html, runbookHtml(model, secrets));
  await htmlToPdf(html, out, pdf);
  return { pages: destinationPages(readFileSync(out)).pages };
}

const FORMATS: RunbookFormat[] = ['md', 'html', 'pdf'];
const EXT: Record<string, RunbookFormat> = {
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

/** The format asked for, or the one the output file's extension names. */
export function runbookFormat(format: string | undefined, out: string | undefined): RunbookFormat {
  if (format) {
    const f = format.toLowerCase() === 'markdown' ? 'md' : format.toLowerCase();
    if (!FORMATS.includes(f as RunbookFormat))
      throw new AnvilError(`unknown runbook format "${format}"`, 'use --format md, html or pdf');
    return f as RunbookFormat;
  }
  const f = out ? EXT[extname(out).toLowerCase()] : undefined;
  if (!f)
    throw new AnvilError(
      'no runbook format given',
      'pass --format md|html|pdf (or an --out file ending in .md, .html or .pdf)',
    );
  return f;
}

/** The folder of an output file must exist and be a folder (checked before printing a PDF for minutes). */
function checkOutFolder(out: string): void {
  const dir = dirname(resolve(out));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new AnvilError(
      `cannot write ${out}: the folder ${dir} does not exist`,
      'create it first, or choose another --out',
    );
  }
  if (!isDir) throw new AnvilError(`cannot write ${out}: ${dir} is not a folder`, 'choose another --out');
}

/** Write the runbook; returns the format written. */
export async function runbookCommand(
  opts: RunbookOptions,
  extra: { steps?: readonly Step[]; env?: NodeJS.ProcessEnv; now?: Date; pdf?: PdfOptions } = {},
): Promise<RunbookFormat> {
  if (!opts.out) throw new AnvilError('no output file given', 'pass --out FILE (or --out - with --format for stdout)');
  const toStdout = opts.out === '-';
  if (toStdout && !opts.format) throw new AnvilError('--out - needs a --format', 'pass --format md, html or pdf');
  const format = runbookFormat(opts.format, toStdout ? undefined : opts.out);
  if (!toStdout) checkOutFolder(opts.out);
  const ctx = loadReportContext(opts.answers, extra.env ?? process.env, { secretsOptional: true });
  const steps = extra.steps ?? STEPS;
  const asBuilt = opts.state ? loadAsBuilt(opts.state) : undefined;
  let masked = ctx.masked;
  let built: Pick<RunbookInput, 'hashOf' | 'answersChanged'> = {};
  if (asBuilt) {
    // NOTE: as built, the plan includes what the install captured (MACs, the free-space start),
    // exactly as the runner derives it, and each task's inputs are compared with what ran.
    const captured = asBuilt.state.captured ?? {};
    masked = planWithCaptured(maskAnswers(ctx.answers), captured);
    const real = planWithCaptured(ctx.answers, captured);
    const tasks = new Map(steps.flatMap((s) => s.tasks.map((t) => [t.id, t] as const)));
    built = {
      hashOf: (id, key) => {
        const t = tasks.get(id);
        if (!t) return undefined;
        try {
          // NOTE: compared with the values captured as they were when the task ran (its capturedSeq).
          const seq = asBuilt.state.tasks[id]?.[key]?.capturedSeq;
          const p = seq === undefined ? real : planWithCaptured(ctx.answers, capturedAsOf(asBuilt.state, seq));
          return inputHash(t, p, key === 'local' ? undefined : p.node(key), ctx.secrets);
        } catch {
          return undefined;
        }
      },
      answersChanged: !!asBuilt.state.answersHash && asBuilt.state.answersHash !== answersHash(ctx.answers),
    };
  }
  // NOTE: the masked plan: nothing a person reads carries a password; redaction of the final
  // document (in runbookMarkdown/runbookHtml) is the second line of defence.
  const model = buildRunbook({
    plan: masked,
    steps,
    secrets: ctx.secrets,
    answersFile: ctx.file,
    asBuilt,
    ...built,
    now: extra.now,
    paper: paperOf(opts.paper),
  });
  const write = (data: string | Buffer) => (toStdout ? void output().out.write(data) : writeFileSync(opts.out!, data));
  if (format === 'md') write(runbookMarkdown(model, ctx.secrets));
  else if (format === 'html') write(runbookHtml(model, ctx.secrets));
  else {
    const tmp = mkdtempSync(join(tmpdir(), 'anvil-runbook-'));
    try {
      const pdf = toStdout ? join(tmp, 'runbook.pdf') : opts.out;
      await printRunbookPdf(model, ctx.secrets, pdf, tmp, extra.pdf);
      if (toStdout) write(readFileSync(pdf));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const tasks = model.steps.reduce((n, s) => n + s.tasks.length, 0);
  const done = `Wrote the ${asBuilt ? 'as-built ' : ''}runbook of ${model.summary.cluster.name} (${model.steps.length} steps, ${tasks} tasks) to ${toStdout ? 'stdout' : opts.out} (${format}).`;
  // NOTE: with --out - the document is stdout; the note goes to stderr so it does not end up in it.
  if (toStdout) warn(done);
  else say(done);
  return format;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('runbook')
    .description(
      'write the printable runbook of this cluster: summary, every file and command in order, manual tests as checklists',
    )
    .requiredOption('-a, --answers <file>', 'answers file (YAML)')
    .requiredOption('-o, --out <file>', 'output file ("-": stdout, with --format)')
    .option('-f, --format <format>', 'md, html or pdf (default: from the --out extension)')
    .option(
      '--state <dir>',
      'state folder of an install: write the runbook "as built", with each task\'s status and evidence',
    )
    .option('--paper <size>', 'paper to lay the print out for: a4 or letter', 'letter')
    .addHelpText(
      'after',
      `
The cover summarises the cluster (nodes, networks, NIC map, fence matrix, DRBD layout, VMs);
each step then starts on a new page with why it is done, its files in full, its commands per
node, what to check, checklists and Yes/No tables for the manual tests, and sign-off lines.
Passwords are shown as ********. PDF is printed with headless Chromium (apt-get install chromium):
every page carries the cluster, the step (n of 20) and its page number; the contents give the page
of each step; files edited in place (lvm.conf) show only their changes; a file that runs onto the
next page names itself again there; the last page is the hand-over sign-off.

Examples:
  $ anvil-install runbook --answers anvil.yaml --out runbook.html
  $ anvil-install runbook --answers anvil.yaml --format pdf --out runbook.pdf
  $ anvil-install runbook --answers anvil.yaml --state .anvil --out as-built.md`,
    )
    .action(async (opts: RunbookOptions) => {
      await runbookCommand(opts);
    });
}

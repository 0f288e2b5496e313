/**
 * The approval of one step, before anything of it runs: the step's warnings, then what it will do
 * on each node (diffs, a diff that is the same on both nodes shown once; commands; reboots and
 * network restarts called out; what a destructive task destroys), then one question. Red/green
 * only on a terminal without NO_COLOR. Long diffs are cut on the screen; the pager shows them whole.
 */
import { spawnSync } from 'node:child_process';
import type { Prompter } from './types.js';
import type { PreviewFile, PreviewTask, StepPreview } from './step-preview.js';
import type { NodeGroup } from '../report/tasks.js';
import { whereText } from '../report/tasks.js';
import type { Plan } from '../plan/derive.js';
import { gateText } from './gates.js';

/** The operator's answer to a step's approval. */
export type StepDecision = 'approve' | 'approve-all' | 'page' | 'skip' | 'abort';

/** The choices, in the order shown (approve first: the default). */
export const STEP_CHOICES: { value: StepDecision; label: string }[] = [
  { value: 'approve', label: 'approve this step' },
  { value: 'approve-all', label: 'approve this step and every remaining step' },
  { value: 'page', label: 'page through the full diff' },
  { value: 'skip', label: 'skip this step' },
  { value: 'abort', label: 'abort the install here' },
];

/** How the screen is drawn. */
export interface ScreenStyle {
  /** ANSI colours (a terminal, no NO_COLOR). */
  color: boolean;
  /** Lines the compact screen may use (diffs are cut to fit); Infinity for the full text. */
  maxLines: number;
}

/** Whether colours are wanted on a stream: a terminal, and no NO_COLOR in the environment. */
export function wantColor(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY && !('NO_COLOR' in env && env.NO_COLOR !== '');
}

function painter(color: boolean) {
  const p = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: p('1'), red: p('31'), green: p('32'), yellow: p('33'), cyan: p('36'), dim: p('2') };
}

/** `an-node01`, `an-node01 and an-node02 (same change)`. */
function who(nodes: string[], all: number): string {
  return nodes.length > 1 ? `${nodes.join(' and ')}${nodes.length === all ? ' (same on both)' : ''}` : nodes[0]!;
}

function diffLines(patch: string, color: boolean): string[] {
  const c = painter(color);
  // NOTE: from the first hunk on: the ---/+++ header is left out, the file is named above the diff.
  const lines = patch.split('\n');
  const first = lines.findIndex((l) => l.startsWith('@@'));
  return lines
    .slice(first < 0 ? lines.length : first)
    .filter((l, i, a) => !(i === a.length - 1 && l === ''))
    .map((l) => (l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l));
}

/** A file's heading: path, new or changed, counts, and on which nodes. */
function fileHeading(g: NodeGroup<PreviewFile>, nodes: number): string {
  const f = g.value;
  if (f.later) return `${f.path} on ${who(g.nodes, nodes)}: shown when it is written (${f.later})`;
  const kind = f.patch.includes('--- /dev/null') ? 'new file' : 'changed';
  return `${f.path} on ${who(g.nodes, nodes)}: ${kind}, +${f.added} -${f.removed}`;
}

interface Block {
  head: string[];
  diffs: { heading: string; lines: string[] }[];
  tail: string[];
}

function taskBlock(t: PreviewTask, plan: Plan, number: string, color: boolean): Block {
  const c = painter(color);
  const nodes = plan.nodes.length;
  const task = t.task;
  const where = t.keys.length ? (t.keys.length === nodes && task.on !== 'local' ? whereText(plan, task.on) : t.keys.join(', ')) : 'nowhere';
  const head = [c.bold(`${number} ${task.title}`) + c.dim(`  [${task.kind}; ${where}]`)];
  for (const r of t.reasons) head.push(`    note: ${r.value} (${who(r.nodes, nodes)})`);
  if (t.alreadyDone.length) head.push(`    already done on ${t.alreadyDone.join(', ')} (the node says so): not run there`);
  if (!t.keys.length) return { head, diffs: [], tail: [] };
  if (task.disrupts) head.push(c.yellow(`    ⚠ ${task.disrupts}`));
  for (const d of t.destroys) head.push(c.red(`    ⚠ destructive on ${d.key}: ${d.what}`));
  if (task.firstBuildOnly) head.push(`    one-time step of the first build: ${task.firstBuildOnly}`);
  if (task.kind === 'gate') {
    const g = gateText(task, plan);
    head.push(`    ${task.gate?.drive ? 'the tool runs this test itself (on real nodes it asks before each destructive act):' : 'you act, then confirm each item:'}`);
    for (const l of g.instruct.split('\n')) head.push(`      ${l}`);
  }
  const diffs = t.files.map((g) => ({ heading: `    ${fileHeading(g, nodes)}`, lines: g.value.later ? [] : diffLines(g.value.patch, color).map((l) => `      ${l}`) }));
  const tail: string[] = [];
  for (const g of t.commands) {
    tail.push(`    commands${t.keys.length > 1 || g.nodes.length > 1 ? ` on ${who(g.nodes, nodes)}` : ''}:`);
    for (const cmd of g.value) tail.push(`      $ ${cmd}`);
  }
  return { head, diffs, tail };
}

/**
 * The approval screen of a step (`number` of `total`), cut to `style.maxLines` by shortening the
 * diffs; the full text is the same with `maxLines: Infinity`.
 */
export function approvalScreen(p: StepPreview, plan: Plan, number: number, total: number, style: ScreenStyle): string {
  const c = painter(style.color);
  const out: string[] = [c.bold(`━━ Step ${number} of ${total} · ${p.step.id}: ${p.step.title}`)];
  for (const w of p.warnings) out.push(c.yellow(`⚠ ${w}`));
  const blocks = p.tasks.map((t, i) => taskBlock(t, plan, `${number}.${p.step.tasks.indexOf(t.task) + 1}`, style.color));
  const fixed = blocks.reduce((k, b) => k + b.head.length + b.tail.length + b.diffs.length, 0);
  const diffTotal = blocks.reduce((k, b) => k + b.diffs.reduce((m, d) => m + d.lines.length, 0), 0);
  const files = blocks.reduce((k, b) => k + b.diffs.length, 0);
  const foot = 3;
  const room = style.maxLines - out.length - fixed - foot;
  // NOTE: every diff keeps the same share of the room; a cut diff says how much is left to page through.
  const perFile = diffTotal <= room ? Infinity : Math.max(0, Math.floor(room / Math.max(1, files)) - 1);
  let cut = false;
  for (const b of blocks) {
    out.push('', ...b.head);
    for (const d of b.diffs) {
      out.push(d.heading);
      if (d.lines.length <= perFile) out.push(...d.lines);
      else {
        cut = true;
        out.push(...d.lines.slice(0, perFile), c.dim(`      … ${d.lines.length - perFile} more line${d.lines.length - perFile === 1 ? '' : 's'}: choose "page through the full diff"`));
      }
    }
    out.push(...b.tail);
  }
  if (p.kept) out.push('', c.dim(`${p.kept} task×node record${p.kept === 1 ? '' : 's'} of this step done earlier and unchanged: left as they are.`));
  if (p.step.ifSkipped) out.push('', `If you skip this step: ${p.step.ifSkipped}.`);
  if (cut && style.maxLines !== Infinity) out.push(c.dim('(diffs shortened to fit the screen)'));
  return out.join('\n');
}

/** The question line of a step's approval (what a scripted test or a fake prompter matches). */
export function approvalQuestion(stepId: string, number: number, total: number): string {
  return `Approve step ${number} of ${total} (${stepId})?`;
}

/** Ask for a step's approval: the screen, then the question; the answer as a `StepDecision`. */
export async function askStep(prompt: Prompter, screen: string, question: string): Promise<StepDecision> {
  const labels = STEP_CHOICES.map((c) => c.label);
  const a = await prompt.select(`${screen}\n\n${question}`, labels, labels[0]);
  return STEP_CHOICES.find((c) => c.label === a)?.value ?? 'abort';
}

/** The phrase a destructive task on a real node needs typed: the node and what it destroys. */
export function confirmPhrase(node: string, what: string): string {
  return `${node} ${what}`;
}

/** Whether the typed text is the phrase (spaces collapsed, nothing else forgiven). */
export function phraseMatches(typed: string, phrase: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ');
  return norm(typed) === norm(phrase);
}

/** Show text in `$PAGER` (else `less -R`) on the terminal; false when no pager could run. */
export function pageOnTerminal(text: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const pager = env.PAGER?.trim();
  const r = pager
    ? spawnSync(pager, { input: text, stdio: ['pipe', 'inherit', 'inherit'], shell: true })
    : spawnSync('less', ['-R'], { input: text, stdio: ['pipe', 'inherit', 'inherit'] });
  return !r.error && r.status === 0;
}

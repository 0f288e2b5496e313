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
import { driftLine } from './dry-run.js';

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
  /** Terminal width: lines are wrapped at spaces to it (and counted as the rows they take). */
  columns?: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Wrap a line to `width` columns at spaces, never inside a word (a word longer than a whole line is
 * the only thing broken); continuation lines keep the line's indent plus two. Colour codes take no room.
 */
export function wrapLine(line: string, width: number): string[] {
  const plain = line.replace(ANSI, '');
  if (!Number.isFinite(width) || width < 20 || plain.length <= width) return [line];
  // NOTE: wrapped as plain text; a coloured line keeps its colour on the first row only.
  // eslint-disable-next-line no-control-regex -- the colour codes are ANSI escapes
  const color = plain === line ? undefined : (/^((?:\u001b\[[0-9;]*m)*)/.exec(line)?.[1] ?? '');
  const lead = /^ */.exec(plain)![0].length;
  const indent = ' '.repeat(Math.min(lead + 2, Math.floor(width / 2)));
  const out: string[] = [];
  let rest = plain;
  let first = true;
  while (rest.length > width) {
    const from = first ? lead : indent.length;
    let cut = rest.lastIndexOf(' ', width);
    // NOTE: no space to break at: a path or a key longer than the line is the only thing broken.
    if (cut <= from) cut = width;
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut).replace(/^ +/, '');
    first = false;
  }
  out.push(rest);
  if (color) {
    out[0] = `${color}${out[0]}\u001b[0m`;
    for (let i = 1; i < out.length; i++) out[i] = `${color}${out[i]}\u001b[0m`;
  }
  return out;
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
  return nodes.length > 1 ? `${nodes.join(' and ')}${nodes.length === all ? ' (same on both)' : ''}` : nodes[0];
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
  /** A gate's instructions (left out first when the screen is short; the pager shows them). */
  instruct: string[];
  /** What a test acts on (never left out). */
  acts: string[];
  /** Per file: its heading (one line) and its diff lines. */
  diffs: { path: string; heading: string; brief: string; lines: string[] }[];
  tail: string[];
}

function taskBlock(t: PreviewTask, plan: Plan, number: string, color: boolean): Block {
  const c = painter(color);
  const nodes = plan.nodes.length;
  const task = t.task;
  const where = t.keys.length
    ? t.keys.length === nodes && task.on !== 'local'
      ? whereText(plan, task.on)
      : t.keys.join(', ')
    : 'nowhere';
  // NOTE: "safe" means re-runnable; a task that cuts the node off (a network restart, a reboot) is not tagged so.
  const kind = task.kind === 'safe' && task.disrupts ? 're-runnable, disruptive' : task.kind;
  const head = [c.bold(`${number} ${task.title}`) + c.dim(`  [${kind}; ${where}]`)];
  for (const r of t.reasons) head.push(`    note: ${r.value} (${who(r.nodes, nodes)})`);
  if (t.alreadyDone.length)
    head.push(`    already done on ${t.alreadyDone.join(', ')} (the node says so): not run there`);
  if (!t.keys.length) return { head, instruct: [], acts: [], diffs: [], tail: [] };
  if (task.disrupts) head.push(c.yellow(`    ⚠ ${task.disrupts}`));
  for (const d of t.destroys) head.push(c.red(`    ⚠ destructive on ${d.key}: ${d.what}`));
  if (task.firstBuildOnly) head.push(`    one-time step of the first build: ${task.firstBuildOnly}`);
  const instruct: string[] = [];
  const acts: string[] = [];
  if (task.kind === 'gate') {
    const g = gateText(task, plan);
    instruct.push(
      `    ${task.gate?.drive ? 'the tool runs this test itself (on real nodes it asks before each destructive act):' : 'you act, then confirm each item:'}`,
    );
    for (const l of g.instruct.split('\n')) instruct.push(`      ${l}`);
    const a = task.gate?.acts?.(plan) ?? [];
    if (a.length) acts.push(`    ${task.gate?.actsHeading ?? 'what it does'}:`, ...a.map((x) => `  ${x}`));
  }
  const diffs = t.files.map((g) => ({
    path: g.value.path,
    heading: `    ${fileHeading(g, nodes)}`,
    brief: g.value.later
      ? `${g.nodes.join(', ')}: later`
      : `${g.nodes.length > 1 && g.nodes.length === nodes ? 'both nodes' : g.nodes.join(', ')} ${g.value.patch.includes('--- /dev/null') ? 'new' : 'changed'} +${g.value.added} -${g.value.removed}`,
    lines: g.value.later ? [] : diffLines(g.value.patch, color).map((l) => `      ${l}`),
  }));
  const tail: string[] = [];
  for (const g of t.commands) {
    tail.push(`    commands${t.keys.length > 1 || g.nodes.length > 1 ? ` on ${who(g.nodes, nodes)}` : ''}:`);
    for (const cmd of g.value) tail.push(`      $ ${cmd}`);
  }
  return { head, instruct, acts, diffs, tail };
}

/** A task's command lines cut to the first `k` commands (0: one line with their count). */
function cutCommands(tail: string[], k: number, dim: (s: string) => string, page: string): string[] {
  const n = tail.filter((l) => l.trimStart().startsWith('$ ')).length;
  if (n <= k) return tail;
  if (k === 0) return [dim(`    ${n} command${n === 1 ? '' : 's'} (${page})`)];
  const out: string[] = [];
  let kept = 0;
  for (const l of tail) {
    const cmd = l.trimStart().startsWith('$ ');
    if (cmd && kept >= k) continue;
    if (cmd) kept++;
    // NOTE: the heading of a later node group with no command kept is left out too.
    else if (kept >= k) continue;
    out.push(l);
  }
  return [...out, dim(`      … ${n - k} more command${n - k === 1 ? '' : 's'}`)];
}

/**
 * The files of a task, at one level of detail: 0 whole diffs, 1 diffs cut to `k` lines, 2 one line
 * per file (its nodes and counts), 3 one line for all of them.
 */
function fileLines(b: Block, level: number, k: number, color: boolean): string[] {
  const c = painter(color);
  if (!b.diffs.length) return [];
  const n = new Set(b.diffs.map((d) => d.path)).size;
  if (level >= 4) return [c.dim(`    writes ${n} file${n === 1 ? '' : 's'} (choose "page through the full diff")`)];
  if (level === 3)
    return [
      `    writes ${b.diffs.length} file${b.diffs.length === 1 ? '' : 's'}: ${[...new Set(b.diffs.map((d) => d.path))].join(', ')}`,
    ];
  if (level === 2) {
    const byPath = new Map<string, string[]>();
    for (const d of b.diffs) byPath.set(d.path, [...(byPath.get(d.path) ?? []), d.brief]);
    return [...byPath].map(([path, briefs]) => `    ${path}: ${briefs.join('; ')}`);
  }
  return b.diffs.flatMap((d) => {
    if (level === 0 || d.lines.length <= k) return [d.heading, ...d.lines];
    const more = d.lines.length - k;
    return [
      d.heading,
      ...d.lines.slice(0, k),
      c.dim(`      … ${more} more line${more === 1 ? '' : 's'}: choose "page through the full diff"`),
    ];
  });
}

/**
 * The approval screen of a step (`number` of `total`). To fit `style.maxLines` rows (lines wrapped at
 * `style.columns`), the diffs are shortened, then listed a line per file, then a line per task; then
 * the closing notes and a gate's instructions are left out; last, the body is cut. The title, the
 * warnings and the drift found stay on screen, whatever the size. The full text is the same with
 * `maxLines: Infinity`.
 */
export function approvalScreen(p: StepPreview, plan: Plan, number: number, total: number, style: ScreenStyle): string {
  const c = painter(style.color);
  const top: string[] = [c.bold(`━━ Step ${number} of ${total} · ${p.step.id}: ${p.step.title}`)];
  for (const w of p.warnings) top.push(c.yellow(`⚠ ${w}`));
  if (p.drift?.length) {
    top.push(
      '',
      c.red(
        `DRIFT: ${p.drift.length} done task×node record${p.drift.length === 1 ? '' : 's'} of this step no longer check:`,
      ),
    );
    for (const d of p.drift) top.push(`  ${driftLine(d)}`);
  }
  const blocks = p.tasks.map((t) => taskBlock(t, plan, `${number}.${p.step.tasks.indexOf(t.task) + 1}`, style.color));
  const foot: string[] = [];
  if (p.kept)
    foot.push(
      '',
      c.dim(
        `${p.kept} task×node record${p.kept === 1 ? '' : 's'} of this step done earlier and unchanged: left as they are.`,
      ),
    );
  if (p.step.ifSkipped) foot.push('', `If you skip this step: ${p.step.ifSkipped}.`);
  const width = style.columns ?? Infinity;
  const wrap = (lines: string[]) => lines.flatMap((l) => wrapLine(l, width));
  const PAGE = 'choose "page through the full diff"';
  const render = (level: number, k: number) => {
    const body: string[] = [];
    for (const b of blocks)
      body.push(
        // NOTE: on the shortest screens the blank line between tasks goes too.
        ...(level >= 5 ? [] : ['']),
        ...b.head,
        ...(level >= 5
          ? []
          : level >= 4 && b.instruct.length
            ? [c.dim(`    (the test's instructions: ${PAGE})`)]
            : b.instruct),
        ...b.acts,
        ...fileLines(b, Math.min(level, 4), k, style.color),
        ...(level >= 5 && b.tail.length ? cutCommands(b.tail, k, c.dim, PAGE) : b.tail),
      );
    if (level < 4) body.push(...foot);
    if (level > 0)
      body.push(
        c.dim(
          level === 1
            ? '(diffs shortened to fit the screen)'
            : level >= 4
              ? `(shortened to fit: "page through the full diff" shows all)`
              : `(diffs left out to fit the screen: ${PAGE})`,
        ),
      );
    return { top: wrap(top), body: wrap(body) };
  };
  const rows = (r: { top: string[]; body: string[] }) => r.top.length + r.body.length;
  // NOTE: 6 lines stay free for the question and its five choices.
  const room = style.maxLines - 6;
  const full = render(0, 0);
  if (rows(full) <= room) return [...full.top, ...full.body].join('\n');
  const files = blocks.reduce((n, b) => n + b.diffs.length, 0);
  const k = Math.floor((room - rows(render(2, 0))) / Math.max(1, files)) - 2;
  if (k >= 3) {
    const cut = render(1, k);
    if (rows(cut) <= room) return [...cut.top, ...cut.body].join('\n');
  }
  for (const level of [2, 3, 4]) {
    const r = render(level, 0);
    if (rows(r) <= room) return [...r.top, ...r.body].join('\n');
  }
  // NOTE: commands cut to the first few of each task (those that act first: a partition's boundaries).
  for (let n = 12; n >= 0; n--) {
    const r = render(5, n);
    if (rows(r) <= room || n === 0) {
      if (rows(r) <= room) return [...r.top, ...r.body].join('\n');
      // NOTE: still too long: the title and warnings stay, the body is cut (the pager has it all).
      const keep = Math.max(0, room - r.top.length - 1);
      const more = r.body.length - keep;
      return [...r.top, ...r.body.slice(0, keep), c.dim(`… ${more} more line${more === 1 ? '' : 's'}: ${PAGE}`)].join(
        '\n',
      );
    }
  }
  return [...full.top, ...full.body].join('\n');
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

/**
 * Plain-text rendering of the plan (`anvil-install plan`): no colours, no box drawing, so it reads
 * the same in a terminal, a pipe, a ticket or an e-mail.
 */
import type { TestTable } from '../engine/types.js';
import type { Plan } from '../plan/derive.js';
import { groupLabel, type StepView, type TaskView } from './tasks.js';

/** Indent every line of `text` by `pad`. */
export function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** Word-wrap prose to `width` columns; `hang` prefixes continuation lines. Long words are not split. */
export function wrap(text: string, width = 96, hang = ''): string {
  return text
    .split('\n')
    .map((para) => {
      const lines: string[] = [];
      let cur = '';
      for (const w of para.split(/ +/)) {
        if (cur && (lines.length ? hang.length : 0) + cur.length + 1 + w.length > width) {
          lines.push(cur);
          cur = w;
        } else cur = cur ? `${cur} ${w}` : w;
      }
      lines.push(cur);
      return lines.map((l, i) => (i ? hang + l : l)).join('\n');
    })
    .join('\n');
}

/** `n` followed by the singular or plural noun. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A table as aligned plain text (header, dashes, rows). */
export function textTable(columns: string[], rows: string[][]): string {
  const width = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    columns
      .map((_, i) => (cells[i] ?? '').padEnd(width[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A gate's Yes/No table as text. */
export function testTableText(t: TestTable): string {
  return `${t.title}\n${textTable(t.columns, t.rows)}`;
}

/** A shell command shown as typed: `$ ` before the first line, continuation lines kept as they are. */
export function commandText(cmd: string): string {
  const [first, ...rest] = cmd.split('\n');
  return [`$ ${first}`, ...rest.map((l) => `  ${l}`)].join('\n');
}

function taskText(t: TaskView): string {
  const out: string[] = [];
  const manual = !t.executable ? '  (runbook only)' : '';
  out.push(`${t.number.padEnd(6)}${t.title}  [${t.id}]${manual}`);
  const body: string[] = [];
  body.push(`kind: ${t.kind}   on: ${t.where}`);
  if (t.firstBuildOnly) body.push(`first build only: ${t.firstBuildOnly}; a later change does not run it again`);
  if (t.driven)
    body.push(
      'the tool runs this test itself (on the lab always; on real nodes with your confirmation before each destructive act)',
    );
  if (t.files.length) {
    body.push('files:');
    for (const f of t.files) {
      const attrs = [f.mode, f.backup, f.edit ? 'edited in place' : '', f.secret ? 'holds passwords' : '']
        .filter(Boolean)
        .join(', ');
      const who =
        f.variants.length > 1
          ? '  (differs per node)'
          : f.variants[0].nodes.length < t.nodes.length
            ? `  (${f.variants[0].nodes.join(', ')})`
            : '';
      body.push(`  ${f.path}  (${attrs})${who}`);
    }
  }
  for (const g of t.commands) {
    body.push(`commands on ${groupLabel(g, t.nodes)}:`);
    for (const c of g.value) body.push(indent(commandText(c), '  '));
  }
  if (t.gate) {
    body.push('instructions:');
    body.push(indent(wrap(t.gate.instruct.trimEnd(), 90), '  '));
    if (t.gate.checklist.length) {
      body.push('checklist:');
      for (const c of t.gate.checklist) body.push(`  [ ] ${wrap(c, 86, '      ')}`);
    }
    for (const tb of t.gate.tables) body.push(indent(testTableText(tb), '  '));
  }
  for (const g of t.expect) {
    body.push(t.expect.length > 1 ? `check on ${groupLabel(g, t.nodes)}:` : 'check:');
    for (const e of g.value) body.push(`  - ${wrap(e, 88, '    ')}`);
  }
  out.push(indent(body.join('\n'), '      '));
  return out.join('\n');
}

/** The whole plan as plain text. */
export function planText(p: Plan, steps: StepView[], totalSteps: number): string {
  const tasks = steps.reduce((n, s) => n + s.tasks.length, 0);
  const head = [
    `Plan for cluster ${p.cluster.name} (${p.cluster.domain}): ${p.nodes.map((n) => n.fqdn).join(' and ')}`,
    `${steps.length === totalSteps ? plural(totalSteps, 'step') : `${steps.length} of ${plural(totalSteps, 'step')}`}, ${plural(tasks, 'task')}, in the order they run. Passwords show as ********.`,
    'Kinds: safe = re-run freely; once = destructive, runs exactly once; gate = you act, the tool waits.',
  ];
  const body = steps.map((s) => {
    const lines = [`${String(s.number).padStart(2)}. ${s.title}  [${s.id}]`];
    for (const w of s.warnings) lines.push(indent(`! ${wrap(w, 92, '  ')}`, '    '));
    if (!s.tasks.length) lines.push('    (no tasks declared yet)');
    for (const t of s.tasks) lines.push(indent(taskText(t), '    '));
    return lines.join('\n');
  });
  return [head.join('\n'), ...body].join('\n\n') + '\n';
}

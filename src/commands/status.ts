/**
 * `anvil-install status`: where an install stands, as a plain-text table (steps × nodes: status
 * and finish time) plus counts. Reads the state file without taking the lock, so it works while
 * an install runs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AnvilError } from '../errors.js';
import { say } from '../output.js';
import type { Step } from '../engine/types.js';
import { DEFAULT_STATE_DIR, readState } from '../state/store.js';
import { groupSteps, nodeKeys, stepFinishedAt, stepStanding, type StepStanding } from '../engine/summary.js';
import { STEPS } from '../../steps/index.js';

const LABEL: Record<StepStanding, string> = {
  done: 'done',
  skipped: 'skipped',
  failed: 'FAILED',
  interrupted: 'interrupted',
  'in-progress': 'in progress',
  pending: 'pending',
  'not-executable': 'not yet executable',
};

function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '';
}

function loadState(stateDir: string) {
  const dir = resolve(stateDir);
  const state = readState(dir);
  if (!state)
    throw new AnvilError(
      `no install state in ${dir}`,
      'start with `anvil-install install --answers FILE` (or pass --state DIR)',
    );
  return { dir, state };
}

/**
 * The status of a state folder as one JSON object (`status --json`): per step and node its standing
 * and finish time, per task and node its status, and the counts. No evidence, no secrets.
 */
export function statusJson(stateDir: string, steps: readonly Step[] = STEPS): string {
  const { dir, state } = loadState(stateDir);
  const nodes =
    state.nodes ?? [...new Set(Object.values(state.tasks).flatMap((r) => Object.keys(r)))].filter((k) => k !== 'local');
  const g = groupSteps(steps, state, nodes);
  let settled = 0;
  let total = 0;
  const doc = {
    format: 'anvil-install.status/1',
    stateDir: dir,
    answersFile: state.answersFile ?? null,
    updatedAt: state.updatedAt ?? null,
    nodes,
    steps: steps.map((s) => ({
      id: s.id,
      title: s.title,
      nodes: Object.fromEntries(
        [...nodes, 'local']
          .map((c) => [c, stepStanding(s, state, nodes, c)] as const)
          .filter(([, st]) => st !== undefined)
          .map(([c, st]) => [c, { standing: st, finishedAt: stepFinishedAt(s, state, nodes, c) ?? null }]),
      ),
      tasks: s.tasks.map((t) => ({
        id: t.id,
        kind: t.kind,
        nodes: Object.fromEntries(
          nodeKeys(t.on, nodes).map((k) => {
            const r = state.tasks[t.id]?.[k];
            total++;
            if (r?.status === 'done' || r?.status === 'skipped') settled++;
            return [
              k,
              {
                status: r?.status ?? 'pending',
                finishedAt: r?.finishedAt ?? null,
                ...(r?.error ? { error: r.error } : {}),
                ...(r?.awaitingOperator ? { awaitingOperator: true } : {}),
              },
            ];
          }),
        ),
      })),
    })),
    counts: {
      ...Object.fromEntries((Object.keys(LABEL) as StepStanding[]).map((k) => [k, g[k].length])),
      tasksSettled: settled,
      tasks: total,
    },
  };
  return JSON.stringify(doc, null, 2);
}

/** The status report of a state folder, as text. */
export function statusText(stateDir: string, steps: readonly Step[] = STEPS): string {
  const { dir, state } = loadState(stateDir);
  const nodes =
    state.nodes ?? [...new Set(Object.values(state.tasks).flatMap((r) => Object.keys(r)))].filter((k) => k !== 'local');
  const cols = [...nodes, ...(steps.some((s) => s.tasks.some((t) => t.on === 'local')) ? ['local'] : [])];
  const rows: string[][] = [['STEP', ...cols.map((c) => c.toUpperCase())]];
  let tasksDone = 0;
  let tasksAll = 0;
  for (const s of steps) {
    const cells = cols.map((c) => {
      const st = stepStanding(s, state, nodes, c);
      if (st === undefined) return '-';
      return [LABEL[st], st === 'not-executable' ? '' : when(stepFinishedAt(s, state, nodes, c))]
        .filter(Boolean)
        .join(' ');
    });
    rows.push([s.id, ...cells]);
    for (const t of s.tasks)
      for (const k of nodeKeys(t.on, nodes)) {
        tasksAll++;
        const r = state.tasks[t.id]?.[k];
        if (r?.status === 'done' || r?.status === 'skipped') tasksDone++;
      }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  const g = groupSteps(steps, state, nodes);
  const counts = (Object.keys(LABEL) as StepStanding[])
    .filter((k) => g[k].length)
    .map((k) => `${g[k].length} ${LABEL[k]}`);
  lines.push('');
  lines.push(`steps: ${counts.join(', ')} (of ${steps.length}); tasks settled: ${tasksDone}/${tasksAll}`);
  const failed = Object.entries(state.tasks).flatMap(([id, r]) =>
    Object.entries(r)
      .filter(([, x]) => x.status === 'failed' || x.status === 'running' || x.awaitingOperator)
      .map(([n, x]) => ({ id, n, x })),
  );
  for (const f of failed)
    lines.push(
      `  ${f.id} on ${f.n}: ${f.x.awaitingOperator ? 'waiting for the operator' : f.x.status === 'running' ? 'interrupted while running' : `failed: ${f.x.error ?? ''}`}`,
    );
  lines.push(
    `state folder: ${dir}${state.answersFile ? ` (answers: ${state.answersFile})` : ''}; updated ${when(state.updatedAt)}`,
  );
  return lines.join('\n');
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('status')
    .description('show where an install stands: each step on each node, with finish times')
    .option('--state <dir>', 'state folder of the install', DEFAULT_STATE_DIR)
    .option('--json', 'print one JSON object (format anvil-install.status/1) instead of the table')
    .action((opts: { state: string; json?: boolean }) => {
      say(opts.json ? statusJson(opts.state) : statusText(opts.state));
    });
}

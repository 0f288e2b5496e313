/** `anvil-install plan`: every step and task of this cluster, in order, as plain text, before anything runs. */
import type { Command } from 'commander';
import type { Step } from '../engine/types.js';
import { say } from '../output.js';
import { redact } from '../plan/derive.js';
import { checkStepIds, loadReportContext } from '../report/context.js';
import { stepViews } from '../report/tasks.js';
import { planText } from '../report/text.js';
import { STEPS } from '../../steps/index.js';

/** Options of `plan`. */
export interface PlanOptions {
  answers?: string;
  /** Only these step ids (numbering stays that of the full list). */
  step?: string[];
  /** One JSON object instead of text. */
  json?: boolean;
}

/**
 * The plan as one JSON object (`plan --json`): the cluster, its nodes and every selected step's
 * view (tasks, files per node group, commands, checks), passwords masked.
 */
export function planJson(
  opts: PlanOptions,
  steps: readonly Step[] = STEPS,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const ctx = loadReportContext(opts.answers, env, { secretsOptional: true });
  const only = checkStepIds(opts.step, steps);
  const p = ctx.masked;
  const doc = {
    format: 'anvil-install.plan/1',
    cluster: p.cluster.name,
    nodes: p.nodes.map((n) => n.name),
    totalSteps: steps.length,
    steps: stepViews(p, steps, only),
  };
  return redact(JSON.stringify(doc, null, 2), ctx.secrets);
}

/** The plan text for an answers file (secrets masked). */
export function planOutput(
  opts: PlanOptions,
  steps: readonly Step[] = STEPS,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const ctx = loadReportContext(opts.answers, env, { secretsOptional: true });
  const only = checkStepIds(opts.step, steps);
  // NOTE: the plan is built from masked answers; redact() is the safety net for a step that
  // would put a secret somewhere the mask does not reach.
  return redact(planText(ctx.masked, stepViews(ctx.masked, steps, only), steps.length), ctx.secrets);
}

function collect(value: string, prev: string[] = []): string[] {
  return [
    ...prev,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'show every step and task the install will run on this cluster, in order: files, commands, checks (nothing runs)',
    )
    .requiredOption('-a, --answers <file>', 'answers file (YAML)')
    .option('-s, --step <id>', 'show only this step (repeat, or separate ids with commas)', collect)
    .option('--json', 'print one JSON object (format anvil-install.plan/1) instead of text')
    .addHelpText(
      'after',
      `
Each task shows its kind (safe: re-run freely; once: destructive, runs once; gate: you act),
where it runs, the files it writes (mode, backup), its commands (once when both nodes run the
same, per node when they differ), and what its check expects. Passwords show as ********.

Examples:
  $ anvil-install plan --answers anvil.yaml | less
  $ anvil-install plan --answers anvil.yaml --step hosts
  $ anvil-install plan --answers anvil.yaml --json | jq '.steps[].tasks[].id'`,
    )
    .action((opts: PlanOptions) => {
      say(opts.json ? planJson(opts) : planOutput(opts).replace(/\n$/, ''));
    });
}

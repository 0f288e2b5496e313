/**
 * What every "show before it runs" command starts from: the answers, the real plan (for files
 * that go on the nodes), the masked plan (for anything a person reads) and the secret values (for
 * the last-line redaction of documents).
 */
import type { Step } from '../engine/types.js';
import { AnvilError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import type { Answers } from '../plan/schema.js';
import { derivePlan, maskAnswers, secretValues, type Plan } from '../plan/derive.js';
import { loadAnswers, type LoadOptions } from '../plan/load.js';

/** Loaded answers and the plans derived from them. */
export interface ReportContext {
  file: string;
  answers: Answers;
  /** Secrets in clear: only for files written to the nodes or to `render`'s folder. */
  plan: Plan;
  /** Secrets replaced by `********`: for plan, runbook and anything printed. */
  masked: Plan;
  /** Every secret value, for `redact()`. */
  secrets: string[];
}

/** Load an answers file and derive both plans (`secretsOptional`: plan and runbook need no secrets). */
export function loadReportContext(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadOptions = {},
): ReportContext {
  if (!file)
    throw new AnvilError('no answers file given', 'pass --answers FILE; `anvil-install init` writes a commented one');
  const answers = loadAnswers(file, env, opts);
  return {
    file,
    answers,
    plan: derivePlan(answers),
    masked: derivePlan(maskAnswers(answers)),
    secrets: secretValues(answers),
  };
}

/** Check `--step` ids against the step list; an unknown id is a user error listing the valid ones. */
export function checkStepIds(ids: readonly string[] | undefined, steps: readonly Step[]): string[] | undefined {
  if (!ids || ids.length === 0) return undefined;
  const known = steps.map((s) => s.id);
  const bad = ids.filter((i) => !known.includes(i));
  if (bad.length) {
    const guesses = bad.map((b) => closest(b, known)).filter((g): g is string => !!g);
    throw new UsageError(
      `unknown step ${bad.map((b) => `"${b}"`).join(', ')}${guesses.length ? ` — did you mean ${guesses.join(', ')}?` : ''}`,
      `steps are: ${known.join(', ')}`,
    );
  }
  return [...ids];
}

/**
 * Check `--from`/`--to`/`--only` before anything is created (state folder, lab): unknown ids (with a
 * "did you mean"), `--only` with `--from`/`--to`, `--to` before `--from`.
 */
export function checkStepRange(o: { from?: string; to?: string; only?: string }, steps: readonly Step[]): void {
  const known = steps.map((s) => s.id);
  for (const flag of ['from', 'to', 'only'] as const) {
    const id = o[flag];
    if (id === undefined || known.includes(id)) continue;
    const g = closest(id, known);
    throw new UsageError(
      `--${flag} ${id}: no such step${g ? ` — did you mean ${g}?` : ''}`,
      `steps are: ${known.join(', ')}`,
    );
  }
  if (o.only && (o.from || o.to))
    throw new UsageError(
      `--only cannot be combined with --${o.from ? 'from' : 'to'}`,
      'use --only STEP alone, or --from/--to for a range',
    );
  if (o.from && o.to && known.indexOf(o.to) < known.indexOf(o.from))
    throw new UsageError(`--to ${o.to} comes before --from ${o.from}`, 'steps run in order; swap them');
}

/** `anvil-install resume`: carry on an install from its state folder (answers file recorded there). */
import type { Command } from 'commander';
import { AnvilError } from '../errors.js';
import { say } from '../output.js';
import { loadAnswers } from '../plan/load.js';
import { DEFAULT_STATE_DIR, StateStore } from '../state/store.js';
import type { RunResult } from '../engine/runner.js';
import { answersHash, checkCanAsk, executeRun, type RunDeps } from './install.js';
import { EXIT_CODES_TEXT, exitCodeFor } from './exit-codes.js';
import { withSignalGuard, type SignalGuard } from './interrupt.js';

/** Options of `resume`. */
export interface ResumeOptions {
  state?: string;
  yes?: boolean;
  acceptGates?: boolean;
}

/** Run `resume`. */
export async function resume(o: ResumeOptions, deps: RunDeps = {}): Promise<RunResult> {
  // NOTE: from the first line: a signal while the answers load or the lab starts also exits 130.
  return withSignalGuard(deps, (guard) => resumeGuarded(o, deps, guard));
}

async function resumeGuarded(o: ResumeOptions, deps: RunDeps, guard: SignalGuard): Promise<RunResult> {
  const store = StateStore.open(o.state ?? DEFAULT_STATE_DIR);
  guard.attach(store);
  try {
    checkCanAsk(o.yes, deps);
    const file = store.state.answersFile;
    if (!file)
      throw new AnvilError(
        `${store.dir} records no answers file`,
        'start with `anvil-install install --answers FILE --state DIR`',
      );
    const answers = loadAnswers(file, deps.env ?? process.env);
    const hash = answersHash(answers);
    if (store.state.answersHash && store.state.answersHash !== hash) {
      say(
        `note: ${file} changed since the last run; the tasks whose files or commands change are re-applied (to a running cluster as the tutorial updates one); tests are not repeated`,
      );
      store.state.answersHash = hash;
      store.save();
    }
    // NOTE: no resumeGates: a gate the last run stopped at is shown again and needs the operator's
    // confirmation (or its own test); a resume alone never records a test as confirmed.
    const flags = [o.yes && '--yes', o.acceptGates && '--accept-gates'].filter(Boolean).join(' ');
    return await executeRun(
      store,
      answers,
      {
        yes: o.yes,
        acceptGates: o.acceptGates,
        lab: !!store.state.lab,
        answersFile: file,
        command: `resume --state ${store.dir}${flags ? ` ${flags}` : ''}`,
      },
      deps,
    );
  } finally {
    store.close();
  }
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('resume')
    .description('carry on an interrupted or stopped install where it left off (done tasks are skipped)')
    .option('--state <dir>', 'state folder of the install', DEFAULT_STATE_DIR)
    .option('-y, --yes', 'approve every change and take every default; stop at operator gates (exit 3)')
    .option('--accept-gates', 'with --yes: record operator gates as skipped instead of stopping there')
    .addHelpText(
      'after',
      `
Tasks that finished and whose inputs are unchanged are skipped. A task that was running when the
install stopped is verified first and re-run only if that is safe; a destructive task is never
run twice (its probe decides). An operator gate the last run stopped at is shown again: resume in
a terminal and confirm each item once you have done it. \`resume --yes\` stops there again (exit 3);
\`--yes --accept-gates\` records the gate as skipped, never as confirmed.

As with install, each step that still has work is shown and approved before anything of it runs
(a step skipped at its approval last time is asked again); --yes approves everything.

${EXIT_CODES_TEXT}`,
    )
    .action(async (opts: ResumeOptions) => {
      const r = await resume(opts);
      process.exitCode = exitCodeFor(r.outcome);
    });
}

/** `anvil-install resume`: carry on an install from its state folder (answers file recorded there). */
import type { Command } from 'commander';
import { AnvilError } from '../errors.js';
import { say } from '../output.js';
import { loadAnswers } from '../plan/load.js';
import { DEFAULT_STATE_DIR, StateStore } from '../state/store.js';
import type { RunResult } from '../engine/runner.js';
import { answersHash, checkCanAsk, executeRun, type RunDeps } from './install.js';

/** Options of `resume`. */
export interface ResumeOptions {
  state?: string;
  yes?: boolean;
  acceptGates?: boolean;
}

/** Run `resume`. */
export async function resume(o: ResumeOptions, deps: RunDeps = {}): Promise<RunResult> {
  checkCanAsk(o.yes, deps);
  const store = StateStore.open(o.state ?? DEFAULT_STATE_DIR);
  try {
    const file = store.state.answersFile;
    if (!file) throw new AnvilError(`${store.dir} records no answers file`, 'start with `anvil-install install --answers FILE --state DIR`');
    const answers = loadAnswers(file, deps.env ?? process.env);
    const hash = answersHash(answers);
    if (store.state.answersHash && store.state.answersHash !== hash) {
      say(`note: ${file} changed since the last run; tasks whose inputs changed are re-opened (with every later task on that node)`);
      store.state.answersHash = hash;
      store.save();
    }
    return await executeRun(store, answers, { yes: o.yes, acceptGates: o.acceptGates, resumeGates: true, lab: !!store.state.lab, answersFile: file }, deps);
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
    .option('-y, --yes', 'approve every change and take every default; stop at the next operator gate')
    .option('--accept-gates', 'with --yes: record operator gates as skipped instead of stopping there')
    .addHelpText(
      'after',
      `
Tasks that finished and whose inputs are unchanged are skipped. A task that was running when the
install stopped is verified first and re-run only if that is safe; a destructive task is never
run twice (its probe decides). After a stop at an operator gate, \`resume\` is your confirmation
that you did what it asked.`,
    )
    .action(async (opts: ResumeOptions) => {
      await resume(opts);
    });
}

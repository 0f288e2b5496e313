/**
 * The approval dialogue of one step: screen, question, paging, and the typed confirmation each
 * destructive task needs on real nodes. Nothing of the step has run when it returns.
 */
import type { Plan } from '../plan/derive.js';
import type { Prompter, Step } from './types.js';
import type { StepPreview } from './step-preview.js';
import { previewHasWork } from './step-preview.js';
import {
  approvalQuestion,
  approvalScreen,
  askStep,
  confirmPhrase,
  phraseMatches,
  type ScreenStyle,
} from './approval.js';
import type { RunLog } from './run-log.js';
import { driftLine } from './dry-run.js';

/** What the approval needs from the runner. */
export interface ApprovalInput {
  step: Step;
  /** 1-based position of the step in the whole list, and the list's length. */
  number: number;
  total: number;
  plan: Plan;
  /** Works out what the step will do (reads the nodes only). */
  preview: () => Promise<StepPreview>;
  prompt: Prompter;
  /** `ask`: the full dialogue; `all`: every step was approved earlier (typed confirmations still asked on real nodes). */
  mode: 'ask' | 'all';
  /** The nodes are the lab's: destructive tasks need no typed confirmation. */
  lab: boolean;
  style: ScreenStyle;
  /** Shows the full text (the pager on a terminal). */
  page: (text: string) => void | Promise<void>;
  log?: RunLog;
}

/** How the approval ended. */
export interface ApprovalResult {
  decision: 'run' | 'run-all' | 'skip' | 'abort';
  /** The preview that was approved (absent when nothing needed asking). */
  preview?: StepPreview;
}

/** Every (node, phrase) a destructive task of the step needs typed before it runs. */
function phrases(p: StepPreview): { key: string; title: string; what: string; phrase: string }[] {
  return p.tasks.flatMap((t) =>
    t.destroys.map((d) => ({ key: d.key, title: t.task.title, what: d.what, phrase: confirmPhrase(d.key, d.what) })),
  );
}

/** Ask the typed confirmations; false at the first one not typed exactly (`missed` says which). */
async function typedConfirmations(x: ApprovalInput, p: StepPreview, missed?: (m: string) => void): Promise<boolean> {
  for (const c of phrases(p)) {
    const typed = await x.prompt.input(
      `${c.key}: "${c.title}" destroys ${c.what} on ${c.key}.\nType "${c.phrase}" to let it run (anything else goes back to the question):`,
      { def: '' },
    );
    if (!phraseMatches(typed, c.phrase)) {
      x.log?.write(`typed confirmation for ${c.title} on ${c.key}: not given (did not match)`);
      missed?.(`✖ "${typed.trim()}" did not match "${c.phrase}": nothing of the step ran; choose again`);
      return false;
    }
  }
  return true;
}

/** Log each diff of the step with the operator's verdict (the log's "diff of PATH on NODE: …" lines). */
function logDiffs(x: ApprovalInput, p: StepPreview, verdict: string): void {
  for (const t of p.tasks)
    for (const g of t.files) {
      for (const n of g.nodes) x.log?.write(`diff of ${g.value.path} on ${n}: ${verdict}`);
      // NOTE: the log keeps what was decided, the diff itself (secrets already masked), once per identical change.
      if (g.value.patch) x.log?.write(g.value.patch.trimEnd());
    }
  for (const d of p.drift ?? []) x.log?.write(`drift before this step: ${driftLine(d)}`);
}

/** Run the approval of one step. */
export async function approveStep(x: ApprovalInput): Promise<ApprovalResult> {
  // NOTE: every step approved and no typed confirmation on the lab: nothing to work out or show.
  if (x.mode === 'all' && x.lab) return { decision: 'run' };
  const p = await x.preview();
  // NOTE: drift that is only reported (a destructive task, a test) is still shown and asked about.
  if (!previewHasWork(p) && !p.drift?.length) return { decision: 'run', preview: p };
  if (x.mode === 'all') {
    if (!phrases(p).length) return { decision: 'run', preview: p };
    // NOTE: "approve every remaining step" never covers destroying data on a real node.
    return (await typedConfirmations(x, p)) ? { decision: 'run', preview: p } : approveStep({ ...x, mode: 'ask' });
  }
  const screen = approvalScreen(p, x.plan, x.number, x.total, x.style);
  const question = approvalQuestion(x.step.id, x.number, x.total);
  let missed = '';
  for (;;) {
    // NOTE: a typed confirmation that did not match is said above the question asked again.
    const d = await askStep(x.prompt, screen, missed ? `${missed}\n${question}` : question);
    missed = '';
    if (d === 'page') {
      await x.page(approvalScreen(p, x.plan, x.number, x.total, { ...x.style, maxLines: Infinity }));
      continue;
    }
    if (d === 'skip') {
      logDiffs(x, p, 'skipped (step skipped)');
      return { decision: 'skip', preview: p };
    }
    if (d === 'abort') {
      logDiffs(x, p, 'refused (abort)');
      return { decision: 'abort', preview: p };
    }
    if (!x.lab && !(await typedConfirmations(x, p, (m) => (missed = m)))) continue;
    logDiffs(x, p, 'approved');
    return { decision: d === 'approve-all' ? 'run-all' : 'run', preview: p };
  }
}

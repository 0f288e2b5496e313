/**
 * A done task that drifted, as the dry run finds it and the step preview shows it (its own module:
 * the preview and the dry run both use it, and the dry run builds on the preview).
 */

/** What a done (task, node) that drifted would get from `install`. */
export type DriftAction = 're-apply' | 'report' | 'superseded';

/** A done (task, node) whose verify fails now, or whose file differs from its final form. */
export interface DriftedRun {
  task: string;
  key: string;
  /** What its verify saw (and expected), or which files differ. */
  detail: string;
  /**
   * `re-apply`: a safe task `install` offers to run again (under the step's approval); `report`: a
   * destructive task or an operator test, never re-run (fix by hand); `superseded`: its files are now
   * a later task's, which puts them back.
   */
  action: DriftAction;
  /** The later task (`superseded`) or why it is only reported. */
  why?: string;
}

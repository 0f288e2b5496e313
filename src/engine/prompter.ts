/**
 * The operator's side of a run as the engine sees it (its own module: the operator's hands and the
 * step types both use it, and neither imports the other for it).
 */

/** Asks the operator; answers come from flags/answers first, `--yes` never invents a value. */
export interface Prompter {
  /** Yes/no question; `def` is used with --yes. */
  confirm(message: string, def?: boolean): Promise<boolean>;
  /** Free text; with --yes and no default it fails naming `path`. */
  input(message: string, opts?: { def?: string; path?: string; secret?: boolean }): Promise<string>;
  /** Choose one of `choices`. */
  select(message: string, choices: string[], def?: string): Promise<string>;
}

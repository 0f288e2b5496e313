/**
 * Typed errors. One top-level catch in `cli.ts` prints `✖ message` plus the hint and exits non-zero;
 * only unexpected errors (bugs) show a stack trace, and only with ANVIL_DEBUG=1.
 */

/** Base of every error the user can cause or fix. */
export class AnvilError extends Error {
  /** Process exit code to use. */
  exitCode = 1;
  constructor(
    message: string,
    public hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong usage (unknown step id, conflicting options): exit code 2, like an unknown option. */
export class UsageError extends AnvilError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.exitCode = 2;
  }
}

/** One problem in an answers file, located by its path (e.g. `nodes[1].nics.bcn[0]`). */
export interface AnswerIssue {
  path: string;
  message: string;
}

/** The answers file is invalid: carries every problem found, not just the first. */
export class AnswersInvalid extends AnvilError {
  constructor(
    public file: string,
    public issues: AnswerIssue[],
  ) {
    super(
      `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n` +
        issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n'),
      'fix the fields named above and run the command again',
    );
  }
}

/** A remote command exited non-zero where success was required. */
export class CommandFailed extends AnvilError {
  constructor(
    public node: string,
    public cmd: string,
    public code: number | null,
    public stderr: string,
  ) {
    super(
      `${node}: \`${cmd}\` failed with exit code ${code}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
    );
  }
}

/**
 * Where what a verify saw comes from, so that one cause seen by several checks (a disabled VM, a
 * cable out) is reported once, and one that only hands can fix is reported as such.
 */
export interface Cause {
  /** The same for every check that sees it, e.g. `vm:vm0002-web`, `link an-node01 eth0`. */
  key: string;
  /** The cause in words. */
  text: string;
  /** Hardware to fix by hand (a cable, a switch port, a switch): re-applying a step cannot mend it. */
  hardware?: boolean;
}

/** A verify read state back and it was not what the step expects. */
export class VerifyFailed extends AnvilError {
  /**
   * @param causes where everything seen comes from, when the verify can tell (each problem it saw
   *   explained by one of them); empty when it cannot
   */
  constructor(
    public task: string,
    public node: string,
    public expected: string,
    public seen: string,
    public causes: Cause[] = [],
  ) {
    super(`${task} on ${node}: expected ${expected}; saw ${seen}`);
  }
}

/** A node presented a host key different from the pinned/known one. */
export class HostKeyMismatch extends AnvilError {
  constructor(
    public host: string,
    public expected: string,
    public seen: string,
  ) {
    super(
      `host key of ${host} changed: expected ${expected}, got ${seen}`,
      'if the node was reinstalled, remove its line from the state folder known_hosts (or update nodes[].ssh.hostKey); otherwise stop: this may be a man-in-the-middle',
    );
  }
}

/** The operator cancelled a prompt (Ctrl-C / Esc). Exits quietly. */
export class PromptCancelled extends AnvilError {
  constructor(what = 'prompt') {
    super(`${what} cancelled`);
    this.exitCode = 130;
  }
}

/** A value is needed, there is no default, and we may not ask (`--yes` / no terminal). */
export class MissingAnswer extends AnvilError {
  constructor(
    public path: string,
    why: string,
  ) {
    super(
      `${path}: no value given and none can be asked for (${why})`,
      `add ${path} to the answers file (secrets may be "\${env:NAME}")`,
    );
  }
}

/** A driven test the operator declined (or could not do): recorded as not run, never as passed. */
export class TestNotRun extends AnvilError {
  constructor(what: string) {
    super(what, 'run it when you can: anvil-install resume');
  }
}

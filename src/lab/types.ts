/**
 * Contracts between the simulated nodes (shell, filesystem, commands, world) and the lab's SSH
 * server, persistence and CLI. The lab is a fake for remote nodes that speaks real SSH.
 */

/** Result of one command line run on a lab node. */
export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** File metadata as SFTP needs it. */
export interface LabStat {
  type: 'file' | 'dir' | 'link';
  mode: number; // permission bits, e.g. 0o644
  size: number;
  mtime: number; // seconds since epoch
  uid: number;
  gid: number;
}

/** A node's filesystem (absolute paths; errors are thrown as `Error` with `code` = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY'). */
export interface LabFs {
  stat(path: string): LabStat | null;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer | string, mode?: number): void;
  mkdir(path: string, mode?: number): void;
  readdir(path: string): string[];
  rename(from: string, to: string): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  chmod(path: string, mode: number): void;
  realpath(path: string): string;
}

/** One simulated node as the SSH server sees it. */
export interface LabNodeApi {
  /** Short name, e.g. an-node01. */
  readonly name: string;
  readonly fs: LabFs;
  /** Run one command line through the node's shell as root; `signal` cancels it (its channel closed). */
  exec(
    cmdline: string,
    opts?: { stdin?: string; env?: Record<string, string>; signal?: AbortSignal; maxSteps?: number },
  ): Promise<LabExecResult>;
  /** Whether an SSH client on the BCN can reach it now (powered, not hung, BCN address up). */
  reachable(): boolean;
  /**
   * An interactive shell session: cwd, variables and functions survive from one line to the next
   * (what a terminal login needs; `exec` starts afresh every time).
   */
  session?(env?: Record<string, string>): { exec(line: string, opts?: { stdin?: string }): Promise<LabExecResult> };
}

/** Faults an operator or a test can inject. */
export type LabFault =
  | { kind: 'cable'; node: string; nic: string; up: boolean }
  | { kind: 'switch'; switch: 'sw1' | 'sw2'; up: boolean }
  | { kind: 'drop-ssh'; node: string }
  | { kind: 'power'; node: string; on: boolean }
  | { kind: 'crash'; node: string }
  | { kind: 'bmc'; node: string; up: boolean }
  | { kind: 'pdu'; pdu: string; up: boolean }
  | { kind: 'outlet'; pdu: string; port: string; node: string };

/** The shared world: both nodes, switches, BMCs, PDUs, power, links. */
export interface LabWorld {
  readonly nodes: Record<string, LabNodeApi>;
  /** Apply a fault. */
  fault(f: LabFault): void;
  /**
   * `drop-sessions`: the SSH server must close every session of that node (network restart, crash,
   * power off, injected drop). `change`: state changed, persist it.
   */
  on(event: 'drop-sessions', fn: (node: string) => void): void;
  on(event: 'change', fn: () => void): void;
  /** Serializable snapshot; `createWorld({ saved })` restores it. */
  toJSON(): unknown;
  /** Move lab time forward by `ms` (bond updelay timers, uptime) instead of waiting for real. */
  advance?(ms: number): void;
  /** Lab time, ms since the epoch. */
  now?(): number;
  /** Let lab time pass with the wall clock while serving (timers fire on their own). */
  startClock?(): void;
  /** Stop what `startClock` started. */
  stopClock?(): void;
  /** Resolves once background work (`cmd &`, a reboot in progress) has finished. */
  settle?(): Promise<void>;
}

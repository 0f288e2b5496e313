/**
 * The transport as the engine sees it. `NodeSession` (ssh2) implements it for real nodes and lab
 * nodes alike; tests may implement it in memory. Nothing here knows about clusters.
 */

/** Result of one remote command. */
export interface RemoteResult {
  code: number | null;
  /** Signal name when the command was killed. */
  signal?: string;
  stdout: string;
  stderr: string;
  /** Milliseconds from send to exit. */
  ms: number;
}

/** A connection to one node. */
export interface Transport {
  /** Human name for messages (node name). */
  readonly name: string;
  /** Run a command through the remote shell. Resolves whatever the exit code; rejects on timeout/connection loss. */
  exec(cmd: string, opts?: { timeoutMs?: number; stdin?: string }): Promise<RemoteResult>;
  /** Read a file; null when absent. */
  readFile(path: string): Promise<Buffer | null>;
  /**
   * Write a file: upload to a temp name in the same folder, then rename over the target. When the
   * target exists and `backupTo` is given, the original is first copied there (never overwritten
   * if a backup already exists, so the first original is kept).
   */
  writeFile(path: string, data: string | Buffer, opts?: { mode?: number; backupTo?: string }): Promise<void>;
  /** Drop and re-open the connection with backoff until `timeoutMs` (network restart, reboot). */
  reconnect(timeoutMs?: number): Promise<void>;
  /**
   * Wait until the node goes away (its connection closes: reboot, network restart) and comes back
   * (login works again), within `timeoutMs` in all. Optional: in-memory transports may lack it.
   */
  waitForReboot?(timeoutMs?: number): Promise<void>;
  /** Close for good. */
  close(): Promise<void>;
}

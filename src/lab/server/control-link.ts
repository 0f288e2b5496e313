/**
 * One kept SSH connection to a lab's control endpoint, a channel per command. The installer's waits on
 * a lab served by another process are control commands (`advance MS` for each poll of a wait): the
 * network tests alone send hundreds. A connection per command (key exchange, host-key check and
 * public-key login each time) cost 50-70 ms of real time per poll, 13 s of a 16 s net-tests run; a
 * channel on a kept connection costs one round trip.
 */
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { execOnChannel, type SshExecResult } from './control.js';

const { Client } = ssh2;

/** A kept connection to one control endpoint; reconnects on the next command after it drops. */
export class ControlLink {
  private client: InstanceType<typeof Client> | undefined;
  private ready: Promise<InstanceType<typeof Client>> | undefined;
  private closed = false;

  constructor(private readonly opts: ConnectConfig) {}

  /** Run `cmd` on its own channel; rejects when the connection cannot be made or drops mid-command. */
  async exec(cmd: string): Promise<SshExecResult> {
    if (this.closed) throw new Error('the control link is closed');
    const c = await this.connect();
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, r?: SshExecResult) => {
        if (settled) return;
        settled = true;
        c.off('close', onClose);
        if (err) reject(err);
        else resolve(r!);
      };
      const onClose = () => done(new Error('connection closed before the command finished'));
      c.once('close', onClose);
      execOnChannel(c, cmd, {}, done);
    });
  }

  /** End the connection (idempotent). */
  close(): void {
    this.closed = true;
    this.client?.end();
    this.client = undefined;
    this.ready = undefined;
  }

  private connect(): Promise<InstanceType<typeof Client>> {
    if (this.ready) return this.ready;
    const c = new Client();
    this.client = c;
    const forget = () => {
      if (this.client === c) {
        this.client = undefined;
        this.ready = undefined;
      }
    };
    this.ready = new Promise((resolve, reject) => {
      c.once('ready', () => {
        // NOTE: without it, Nagle's algorithm and the peer's delayed ACK hold every other small
        // request for ~40 ms (measured: half the advance calls took 40-48 ms, the rest 2-3 ms).
        c.setNoDelay(true);
        resolve(c);
      });
      c.on('error', (e) => {
        forget();
        reject(e);
      });
      c.on('close', () => {
        forget();
        reject(new Error('connection closed before it was ready'));
      });
      c.connect(this.opts);
    });
    // NOTE: a rejected connect is not cached: the next command tries again (the lab may be restarting).
    this.ready.catch(() => forget());
    return this.ready;
  }
}

/** Small promise helpers over ssh2's Client for the lab tests. */
import ssh2 from 'ssh2';
import type { ConnectConfig, Client as SshClient, SFTPWrapper } from 'ssh2';

const { Client } = ssh2;

/** Connect and wait for `ready`; rejects with the connection error. */
export function connect(opts: ConnectConfig): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    // NOTE: `on`, not `once`: a refused client can report more than one error.
    c.on('error', reject);
    c.once('close', () => reject(new Error('closed before ready')));
    c.connect({ readyTimeout: 30000, ...opts });
  });
}

/** Resolves when the client's connection closes. */
export function closed(c: SshClient): Promise<void> {
  return new Promise((resolve) => c.once('close', () => resolve()));
}

/** Run a command; `stdin` undefined + `eof: false` leaves the channel's stdin open. */
export function run(
  c: SshClient,
  cmd: string,
  o: { stdin?: string; eof?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    c.exec(cmd, o.env ? { env: o.env } : {}, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('exit', (x: number | null) => (code = x));
      stream.on('close', () => resolve({ code, stdout, stderr }));
      if (o.stdin !== undefined) stream.write(o.stdin);
      if (o.eof !== false) stream.end();
    });
  });
}

/** Open the SFTP subsystem. */
export function sftpOf(c: SshClient): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => c.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

/** Promisify one sftp call. */
export function call<T = void>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

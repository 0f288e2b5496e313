/**
 * Errors raised by the transport. All extend `AnvilError`, so the CLI prints them as one line plus a
 * hint, without a stack trace.
 */
import { AnvilError } from '../errors.js';

/** A remote command ran longer than its timeout; its channel was closed. */
export class CommandTimeout extends AnvilError {
  constructor(
    public node: string,
    public cmd: string,
    public timeoutMs: number,
  ) {
    super(
      `${node}: \`${cmd}\` did not finish within ${timeoutMs} ms; its SSH channel was closed`,
      'check the node: the command may still be running there (sshd ignores kill requests for root sessions); ' +
        'stop it, then run again (raise the timeout if the command is slow by nature)',
    );
  }
}

/** The SSH connection could not be made or was lost (for good, after the retries). */
export class ConnectionFailed extends AnvilError {
  constructor(
    public node: string,
    public target: string,
    public why: string,
    hint?: string,
  ) {
    super(
      `${node}: cannot reach ${target} over SSH: ${why}`,
      hint ?? 'check that the node is up, sshd runs, and the address/port in the answers is right',
    );
  }
}

/** The connection dropped while a command was running: it may or may not have run, so it is not re-sent. */
export class ConnectionLost extends AnvilError {
  constructor(
    public node: string,
    public cmd: string,
    why: string,
    hint?: string,
  ) {
    super(
      `${node}: the SSH connection dropped while \`${cmd}\` was running (${why}); it may or may not have run, so it was not sent again`,
      hint ?? 'check the node, then run again: the task is verified before anything is repeated',
    );
  }
}

/** The node presented a host key nobody vouched for and there is no one to ask. */
export class HostKeyUnknown extends AnvilError {
  constructor(
    public host: string,
    public fingerprint: string,
    keyType: string,
    why = 'there is no terminal to confirm it',
  ) {
    super(
      `host key of ${host} is not known (${keyType} ${fingerprint}) and ${why}`,
      `check the fingerprint on the node's console (ssh-keygen -lf ${hostKeyFileFor(keyType)}) and pin it: ` +
        `nodes[].ssh.hostKey: "${fingerprint}" in the answers file, or run once interactively to accept it`,
    );
  }
}

/** The operator answered "no" to a first-contact host key. */
export class HostKeyRejected extends AnvilError {
  constructor(
    public host: string,
    public fingerprint: string,
  ) {
    super(
      `host key of ${host} (${fingerprint}) was not accepted`,
      'compare it with `ssh-keygen -lf` on the node console, then run again',
    );
  }
}

/** Authentication failed with every method offered. */
export class AuthFailed extends AnvilError {
  constructor(
    public node: string,
    public target: string,
    methods: string[],
  ) {
    super(
      `${node}: SSH login to ${target} failed (tried: ${methods.length ? methods.join(', ') : 'none'})`,
      'give nodes[].ssh.privateKey, run an ssh-agent (SSH_AUTH_SOCK), or a password (nodes[].ssh.password or the prompt)',
    );
  }
}

/** Where OpenSSH keeps the public host key of `keyType` (for hints). */
export function hostKeyFileFor(keyType: string): string {
  const short = keyType.startsWith('ecdsa')
    ? 'ecdsa'
    : keyType === 'ssh-rsa'
      ? 'rsa'
      : keyType === 'ssh-dss'
        ? 'dsa'
        : 'ed25519';
  return `/etc/ssh/ssh_host_${short}_key.pub`;
}

/** The node presented a key that known_hosts marks `@revoked`: never trusted, whatever else vouches for it. */
export class HostKeyRevoked extends AnvilError {
  constructor(
    public host: string,
    public fingerprint: string,
    file: string,
  ) {
    super(
      `host key of ${host} (${fingerprint}) is revoked in ${file}; refusing to connect`,
      'the key was revoked on purpose (a stolen or retired key): give the node a new host key, or remove the @revoked line if it was a mistake',
    );
  }
}

/** known_hosts vouches for the host only through a certificate authority, which the tool does not check. */
export class HostKeyCertAuthority extends AnvilError {
  constructor(
    public host: string,
    file: string,
  ) {
    super(
      `${file} trusts ${host} only through an @cert-authority line; anvil-install checks plain host keys, not host certificates`,
      `add the node's own key to ${file} (ssh-keyscan -t ed25519 ${host}), or pin nodes[].ssh.hostKey in the answers`,
    );
  }
}

/** Shared setup for the transport tests: a real loopback sshd and sessions that trust it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshdUnavailable, type LocalSshd } from '../../src/bench/local-sshd.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import { NodeSession, type NodeSessionOptions } from '../../src/remote/node-session.js';

/** Why the sshd tests are skipped here, or null. Printed once per file when set. */
export const noSshd = sshdUnavailable();
if (noSshd) console.warn(`SKIP transport tests against OpenSSH: ${noSshd}`);

const states: string[] = [];

/** A fresh state folder (for known_hosts); removed by `removeTempStates`. */
export function tempState(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-state-'));
  states.push(d);
  return d;
}

/** Remove the folders made by `tempState`. */
export function removeTempStates(): void {
  for (const d of states.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A session to `sshd` with its key, pinned to its current host key unless `hostKeys` is given. */
export function sessionTo(sshd: LocalSshd, extra: Partial<NodeSessionOptions> = {}): NodeSession {
  return new NodeSession({
    name: 'an-node01',
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    agent: false,
    hostKeys: { pinned: fingerprint(sshd.hostKeyBlob()) },
    // NOTE: small waits so reconnect tests do not idle; the loaded-box margin is in the timeouts.
    backoff: { initialMs: 50, maxMs: 500 },
    ...extra,
  });
}

/**
 * Nothing left behind: a kill between uploading a file's temporary copy and renaming it leaves
 * `.hosts.anvil-…` in the node's /etc; `resume` removes it, and the node's folders end as an
 * uninterrupted run leaves them (on the lab, over real SSH).
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { defaultTransportFactory, install, Interrupted, type TransportFactory } from '../../src/commands/install.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { startLab } from '../../src/lab/index.js';
import { readState } from '../../src/state/store.js';
import { tempNamePattern } from '../../src/engine/leftovers.js';
import type { Transport } from '../../src/remote/types.js';
import { tempDir } from '../helpers/synthetic-steps.js';
import { readFileSync } from 'node:fs';

const ANSWERS = 'examples/tutorial.anvil.yaml';
const LEFT = '/etc/.hosts.anvil-0123456789ab';

/**
 * A transport that, when armed, uploads `target` to its temporary name `left` on the victim node,
 * then "dies" (Ctrl-C) before the rename. As a dead process would, it does nothing more after that on
 * any node: the other node's write of `target` (in parallel) and every later call never happen.
 */
function killing(
  t: Transport,
  arm: { on: boolean; dead?: boolean },
  signals: EventEmitter,
  victim: boolean,
  target = '/etc/hosts',
  left = LEFT,
): Transport {
  const never = () => new Promise<never>(() => undefined);
  const alive = <T>(f: () => Promise<T>): Promise<T> => (arm.dead ? never() : f());
  return {
    name: t.name,
    exec: (c, o) => alive(() => t.exec(c, o)),
    readFile: (p) => alive(() => t.readFile(p)),
    reconnect: (ms) => alive(() => t.reconnect(ms)),
    waitForReboot: t.waitForReboot ? (ms) => alive(() => t.waitForReboot!(ms)) : undefined,
    close: () => t.close(),
    async writeFile(path, data, opts) {
      if (arm.dead || (arm.on && path === target && !victim)) return never();
      if (!arm.on || path !== target) return t.writeFile(path, data, opts);
      arm.on = false;
      await t.writeFile(left, data, { mode: 0o644 });
      arm.dead = true;
      signals.emit('SIGINT');
      return never();
    },
  };
}

async function listing(labDir: string): Promise<Record<string, string>> {
  const lab = await startLab({ stateDir: labDir });
  const out: Record<string, string> = {};
  try {
    for (const [name, t] of Object.entries(lab.transports())) {
      out[name] = (await t.exec('ls -A1 /etc /root/backups')).stdout;
      await t.close();
    }
  } finally {
    await lab.stop();
  }
  return out;
}

describe('a run that carries on (resume, install on the same state) removes the temporary files an interrupted write left', () => {
  it('kill between upload and rename of /etc/hosts: resume removes .hosts.anvil-…; /etc and /root/backups end as in an uninterrupted run', async () => {
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      const signals = new EventEmitter();
      const arm: { on: boolean; dead?: boolean } = { on: true };
      const factory: TransportFactory = async (r) => {
        const set = await defaultTransportFactory(r);
        return {
          ...set,
          transports: Object.fromEntries(
            Object.entries(set.transports).map(([n, t]) => [n, killing(t, arm, signals, n === 'an-node01')]),
          ),
        };
      };
      const dir = tempDir();
      const deps = {
        transportFactory: factory,
        renderer: 'silent' as const,
        signals: true,
        signalSource: signals,
        exit: () => undefined,
      };
      await expect(
        install({ answers: ANSWERS, state: dir, yes: true, lab: true, to: 'hosts' }, deps),
      ).rejects.toBeInstanceOf(Interrupted);
      expect(readState(dir)!.tasks['hosts.write']['an-node01'].status).toBe('running');
      // the next run is a new process: its connections are alive
      arm.dead = false;

      // carried on (resume's path, kept to the same steps to stay short)
      const r = await install(
        { answers: ANSWERS, state: dir, yes: true, lab: true, to: 'hosts' },
        { ...deps, signals: false },
      );
      expect(r.outcome).toBe('complete');
      expect(out.errText()).toContain(`an-node01: removed ${LEFT}, left by an interrupted write`);
      expect(readFileSync(join(dir, 'install.log'), 'utf8')).toContain(`removed ${LEFT}`);
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toContain(`"cmd":"rm -f -- ${LEFT}"`);

      const ref = tempDir();
      expect(
        (
          await install(
            { answers: ANSWERS, state: ref, yes: true, lab: true, to: 'hosts' },
            { renderer: 'silent', signals: false },
          )
        ).outcome,
      ).toBe('complete');
      const [got, want] = [await listing(join(dir, 'lab')), await listing(join(ref, 'lab'))];
      expect(got).toEqual(want);
      expect(got['an-node01']).not.toMatch(/\.anvil-/);
    } finally {
      setOutput(prev);
    }
  });

  it('a file a task writes from its own code (known_hosts, no declared files) is found through the journal and removed', async () => {
    const out = captureOutput();
    const prev = setOutput(out);
    const left = '/root/.ssh/.known_hosts.anvil-0123456789ab';
    try {
      const signals = new EventEmitter();
      const arm: { on: boolean; dead?: boolean } = { on: true };
      const factory: TransportFactory = async (r) => {
        const set = await defaultTransportFactory(r);
        return {
          ...set,
          transports: Object.fromEntries(
            Object.entries(set.transports).map(([n, t]) => [
              n,
              killing(t, arm, signals, n === 'an-node01', '/root/.ssh/known_hosts', left),
            ]),
          ),
        };
      };
      const dir = tempDir();
      const deps = {
        transportFactory: factory,
        renderer: 'silent' as const,
        signals: true,
        signalSource: signals,
        exit: () => undefined,
      };
      await expect(
        install({ answers: ANSWERS, state: dir, yes: true, lab: true, to: 'ssh-keys' }, deps),
      ).rejects.toBeInstanceOf(Interrupted);
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toMatch(
        /"task":"ssh-keys\.known-hosts","kind":"write-start","path":"\/root\/\.ssh\/known_hosts"/,
      );
      arm.dead = false;
      const r = await install(
        { answers: ANSWERS, state: dir, yes: true, lab: true, to: 'ssh-keys' },
        { ...deps, signals: false },
      );
      expect(r.outcome).toBe('complete');
      expect(out.errText()).toContain(`an-node01: removed ${left}, left by an interrupted write`);
      const lab = await startLab({ stateDir: join(dir, 'lab') });
      try {
        const t = lab.transports()['an-node01'];
        expect((await t.exec('ls -A1 /root/.ssh')).stdout).not.toMatch(/\.anvil-/);
        await t.close();
      } finally {
        await lab.stop();
      }
    } finally {
      setOutput(prev);
    }
  });

  it('matches only the names the transport gives temporary copies', () => {
    const p = tempNamePattern('hosts.orig');
    expect(p.test('.hosts.orig.anvil-0123456789ab')).toBe(true);
    expect(p.test('.hosts.orig.anvil-0123')).toBe(false);
    expect(p.test('.hostsXorig.anvil-0123456789ab')).toBe(false);
    expect(p.test('hosts.orig')).toBe(false);
  });
});

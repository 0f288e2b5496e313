/**
 * Issue 15 (points 1, 2 and 7) and issue 17 point 2 on a finished lab install, in process, over the
 * lab's real SSH. The suite's shared install is the start; each case works on its own copy of the
 * state folder (the lab's world lives in it):
 * - a resume of the finished install runs nothing (only the read-only leftover listings);
 * - post_join_delay 30 → 20 (tutorial 1339) is applied live: cluster.conf written once in its final
 *   form at config_version 13, validated, pushed with `cman_tool version -r`; no test, gate or
 *   storage stop re-run, every guest still running where it ran;
 * - fence and ricci passwords changed: the new ricci password is set on both nodes before the push
 *   that needs it; applied live the same way;
 * - a kill right after node 1's cluster.conf rename during that re-apply: resume ends in the final form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTransportFactory, install, Interrupted, type TransportFactory } from '../../src/commands/install.js';
import { resume } from '../../src/commands/resume.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { startLab } from '../../src/lab/index.js';
import { readState } from '../../src/state/store.js';
import { copyCheckpoint } from '../helpers/checkpoints.js';
import { parseJournal } from '../../src/state/journal.js';
import type { Transport } from '../../src/remote/types.js';
import type { StateFile } from '../../src/state/types.js';

const ANSWERS = readFileSync('examples/tutorial.anvil.yaml', 'utf8');
const NODES = ['an-node01', 'an-node02'];
let work: string;
let base: string;

/** Commands that would stop, crash, fence or restart something a running cluster carries. */
const DISRUPTIVE =
  /clusvcadm -[dRrM]|echo [cb] > \/proc\/sysrq-trigger|fence_|poweroff|reboot|virsh (destroy|shutdown|start)|\/etc\/init\.d\/\S+ (stop|restart)|drbdadm (down|disconnect|create-md|-- --clear-bitmap)|ifdown|network restart/;

beforeAll(() => {
  // NOTE: the finished install is the suite's shared one (test/global-setup.ts), copied, not made again.
  work = mkdtempSync(join(tmpdir(), 'anvil-live-'));
  base = copyCheckpoint('acceptance', join(work, 'base'));
  const s = readState(base)!;
  expect(Object.values(s.tasks).flatMap((byNode) => Object.values(byNode).map((r) => r.status))).not.toContain(
    'pending',
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the finished install whose answers file is `edit(ANSWERS)`. */
function copyWith(name: string, edit: (yaml: string) => string = (y) => y): string {
  const dir = join(work, name);
  cpSync(base, dir, { recursive: true });
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, edit(ANSWERS));
  const s = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateFile;
  s.answersFile = file;
  writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
  return dir;
}

/** Run commands on both lab nodes of a state folder (read-only probes); stdout per node. */
async function onNodes(dir: string, cmds: string[]): Promise<Record<string, string[]>> {
  const lab = await startLab({ stateDir: join(dir, 'lab') });
  const out: Record<string, string[]> = {};
  try {
    for (const [name, t] of Object.entries(lab.transports())) {
      out[name] = [];
      for (const c of cmds) out[name].push((await t.exec(c)).stdout);
      await t.close();
    }
  } finally {
    await lab.stop();
  }
  return out;
}

const PROBES = ['cman_tool version', 'cat /etc/cluster/cluster.conf', 'virsh list --all', 'clustat'];

/** Runs of every task × node (a re-run test shows as a higher count). */
function runsOf(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [t, byNode] of Object.entries(readState(dir)!.tasks))
    for (const [n, r] of Object.entries(byNode)) out[`${t}@${n}`] = r.runs ?? 0;
  return out;
}

/** The journal entries a run added. */
function journalSince(dir: string, before: number) {
  return parseJournal(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).slice(before);
}
const journalLength = (dir: string) => parseJournal(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).length;

/** The guests each node runs (`virsh list --all`, state running). */
const running = (virsh: string) =>
  virsh
    .split('\n')
    .filter((l) => / running$/.test(l.trim()))
    .map((l) => l.trim().split(/\s+/)[1])
    .sort();

async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; text: string }> {
  const out = captureOutput();
  const prev = setOutput(out);
  try {
    const value = await f();
    return { value, text: out.text() + out.errText() };
  } finally {
    setOutput(prev);
  }
}

/** The live re-apply's checks: what changed where, and what did not run. */
async function expectAppliedLive(
  dir: string,
  before: Record<string, string[]>,
  j0: number,
  runs0: Record<string, number>,
) {
  const after = await onNodes(dir, PROBES);
  for (const n of NODES) {
    expect(before[n][0].trim()).toBe('6.2.0 config 12');
    expect(after[n][0].trim()).toBe('6.2.0 config 13');
    expect(after[n][1]).toMatch(/config_version="13"/);
    // NOTE: the final form: the vm: services are still there.
    expect(after[n][1].match(/<vm /g)?.length).toBe(before[n][1].match(/<vm /g)?.length);
    expect(running(after[n][2])).toEqual(running(before[n][2]));
    expect(after[n][3].replace(/@ .*/, '')).toBe(before[n][3].replace(/@ .*/, ''));
  }
  expect(after['an-node01'][1]).toBe(after['an-node02'][1]);
  const added = journalSince(dir, j0);
  const cmds = added.filter((e) => e.kind === 'exec').map((e) => e.cmd ?? '');
  expect(cmds.filter((c) => DISRUPTIVE.test(c))).toEqual([]);
  expect(cmds.filter((c) => c === 'cman_tool version -r')).toHaveLength(1);
  // NOTE: cluster.conf written once, on node 1 (then pushed by cman); never an intermediate form.
  expect(added.filter((e) => e.kind === 'write-start' && e.path === '/etc/cluster/cluster.conf')).toHaveLength(1);
  const runs = runsOf(dir);
  const reran = Object.keys(runs).filter((k) => runs[k] !== runs0[k]);
  for (const k of reran)
    expect(k).not.toMatch(/^(fence-tests|net-tests|acceptance|storage-services\.stop-start)|\.start-cman@/);
  return { after, added, reran };
}

describe('done stays done on a finished lab install', () => {
  it(
    'a resume of the finished install runs nothing: no task, only read-only listings; "nothing to do"',
    { timeout: 300_000 },
    async () => {
      const dir = copyWith('again');
      const j0 = journalLength(dir);
      const s0 = readState(dir)!;
      const { value: r, text } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome).toBe('complete');
      expect(r.executed).toEqual([]);
      expect(text).toContain('nothing to do');
      const added = journalSince(dir, j0);
      expect(added.length).toBeGreaterThan(0);
      for (const e of added) expect(`${e.kind} ${e.cmd ?? e.path}`).toMatch(/^exec ls -A1 \S+$/);
      expect(readState(dir)!.tasks).toEqual(s0.tasks);
    },
  );

  it(
    'post_join_delay 30 → 20 is applied live: one cluster.conf at version 13, validated and pushed; no test, gate or storage stop; guests keep running',
    { timeout: 300_000 },
    async () => {
      const edit = (y: string) => y.replace('postJoinDelay: 30', 'postJoinDelay: 20');
      const dir = copyWith('pjd', edit);
      const before = await onNodes(dir, PROBES);
      const j0 = journalLength(dir);
      const runs0 = runsOf(dir);
      // the plan says what it will do to the running cluster
      const { text: plan } = await quietly(() =>
        install(
          {
            answers: join(work, 'pjd.yaml'),
            state: dir,
            lab: true,
            check: true,
            from: 'cluster-foundation',
            to: 'cluster-foundation',
          },
          { renderer: 'silent', signals: false },
        ),
      );
      expect(plan).toMatch(
        /applied live to the running cluster: writes \/etc\/cluster\/cluster\.conf once, in its final form/,
      );
      expect(plan).toContain('cman_tool version -r');
      const { value: r } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome).toBe('complete');
      expect(r.executed).toEqual([
        'cluster-foundation.write-conf@an-node01',
        'storage-services.write-conf@an-node01',
        'vm-services.write-conf@an-node01',
      ]);
      const { after } = await expectAppliedLive(dir, before, j0, runs0);
      for (const n of NODES) expect(after[n][1]).toMatch(/<fence_daemon post_join_delay="20"\s*\/>/);
      const s = readState(dir)!;
      expect(s.tasks['acceptance.cold-stop-start']['an-node01'].note).toMatch(/--retest acceptance/);
      expect(s.tasks['cluster-foundation.start-cman']['an-node01'].note).toMatch(/^kept: cman is started by hand once/);
    },
  );

  it(
    'a bond option changed (updelay): the ifcfg files are written, the network is not restarted under the cluster, a to-do asks for a reboot',
    { timeout: 300_000 },
    async () => {
      const edit = (y: string) => y.replace('updelay: 120000', 'updelay: 60000');
      const dir = copyWith('bond', edit);
      const j0 = journalLength(dir);
      const { value: r, text } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome, text).toBe('complete');
      expect(r.executed).toEqual(['network.files@an-node01', 'network.files@an-node02']);
      const added = journalSince(dir, j0);
      expect(added.filter((e) => e.kind === 'exec' && DISRUPTIVE.test(e.cmd ?? '')).map((e) => e.cmd)).toEqual([]);
      const written = added.filter((e) => e.kind === 'write-start').map((e) => `${e.node} ${e.path}`);
      expect(written.sort()).toEqual(
        NODES.flatMap((n) => [0, 1, 2].map((b) => `${n} /etc/sysconfig/network-scripts/ifcfg-bond${b}`)).sort(),
      );
      const [probe] = Object.values(
        await onNodes(dir, ['cat /etc/sysconfig/network-scripts/ifcfg-bond0', 'cat /proc/net/bonding/bond0']),
      );
      expect(probe[0]).toContain('updelay=60000');
      // NOTE: the running bond keeps its settings until the node reboots.
      expect(probe[1]).toContain('Up Delay (ms): 120000');
      for (const n of NODES)
        expect(text).toMatch(new RegExp(`- ${n}: the new network settings are written .*a reboot is needed`));
    },
  );

  it(
    'fence and ricci passwords changed: ricci gets the new password on both nodes before the push that needs it; applied live',
    { timeout: 300_000 },
    async () => {
      const edit = (y: string) =>
        y
          .replace(/passwd: secret \}/g, 'passwd: N3w-fence }')
          .replace('ricci: { password: secret }', 'ricci: { password: N3w-ricci }');
      const dir = copyWith('pw', edit);
      const before = await onNodes(dir, PROBES);
      const j0 = journalLength(dir);
      const runs0 = runsOf(dir);
      const { value: r, text } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome, text).toBe('complete');
      const { after, added } = await expectAppliedLive(dir, before, j0, runs0);
      for (const n of NODES) expect(after[n][1]).toContain('passwd="N3w-fence"');
      const order = added.filter((e) => e.cmd === 'passwd --stdin ricci' || e.cmd === 'cman_tool version -r');
      expect(order.map((e) => `${e.node} ${e.cmd}`)).toEqual([
        expect.stringMatching(/passwd --stdin ricci$/),
        expect.stringMatching(/passwd --stdin ricci$/),
        'an-node01 cman_tool version -r',
      ]);
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).not.toMatch(/N3w-/);
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).not.toMatch(/N3w-/);
    },
  );

  it(
    'a DRBD option changed is applied live: the files rewritten and `drbdadm adjust` on each running resource; DRBD stays connected Primary/Primary',
    { timeout: 300_000 },
    async () => {
      const dir = copyWith('drbd', (y) => y.replace('degrWfcTimeout: 120', 'degrWfcTimeout: 60'));
      const probes = ['cat /proc/drbd', 'cat /etc/drbd.d/global_common.conf', 'virsh list --all'];
      const before = await onNodes(dir, probes);
      const j0 = journalLength(dir);
      const { value: r, text } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome, text).toBe('complete');
      expect(r.executed.sort()).toEqual(['drbd-config.files@an-node01', 'drbd-config.files@an-node02']);
      const after = await onNodes(dir, probes);
      const cmds = journalSince(dir, j0)
        .filter((e) => e.kind === 'exec')
        .map((e) => `${e.node} ${e.cmd}`);
      expect(cmds.filter((c) => DISRUPTIVE.test(c))).toEqual([]);
      for (const n of NODES) {
        expect(cmds.filter((c) => c.startsWith(`${n} drbdadm adjust `))).toEqual(
          ['r0', 'r1', 'r2'].map((x) => `${n} drbdadm adjust ${x}`),
        );
        expect(before[n][1]).toMatch(/degr-wfc-timeout\s+120;/);
        expect(after[n][1]).toMatch(/degr-wfc-timeout\s+60;/);
        const states = (t: string) => t.match(/cs:\S+ ro:\S+ ds:\S+/g) ?? [];
        expect(states(after[n][0])).toEqual(states(before[n][0]));
        expect(states(after[n][0]).every((x) => x.startsWith('cs:Connected ro:Primary/Primary'))).toBe(true);
        expect(running(after[n][2])).toEqual(running(before[n][2]));
      }
    },
  );

  it(
    'install --retest storage-services is refused while guests run, naming them; nothing runs, the record stays done',
    { timeout: 300_000 },
    async () => {
      const dir = copyWith('retest');
      const j0 = journalLength(dir);
      const runs0 = runsOf(dir);
      // NOTE: refused as a failed task is: an error with the message (✖ and exit 1 at the top level).
      const { value: err } = await quietly(() =>
        install(
          { answers: join(work, 'retest.yaml'), state: dir, yes: true, lab: true, retest: ['storage-services'] },
          { renderer: 'silent', signals: false },
        ).then(
          () => undefined,
          (e: unknown) => e as Error,
        ),
      );
      expect(err?.message).toMatch(
        /storage-services\.stop-start is not run again now: .*guests run on them \(an-node01: vm0001-dev, vm0002-web; an-node02: vm0003-db, vm0004-ms\)/,
      );
      expect(runsOf(dir)).toEqual(runs0);
      expect(readState(dir)!.tasks['storage-services.stop-start']['an-node01'].status).toBe('done');
      const cmds = journalSince(dir, j0).map((e) => e.cmd ?? '');
      expect(cmds.filter((c) => DISRUPTIVE.test(c))).toEqual([]);
    },
  );

  it(
    'killed right after node 1 renamed its new cluster.conf: the resume ends in the final form (version 13, vm: services, pushed)',
    { timeout: 300_000 },
    async () => {
      const edit = (y: string) => y.replace('postJoinDelay: 30', 'postJoinDelay: 20');
      const dir = copyWith('killed', edit);
      const before = await onNodes(dir, PROBES);
      const j0 = journalLength(dir);
      const runs0 = runsOf(dir);
      const signals = new EventEmitter();
      const arm: { dead?: boolean } = {};
      const never = () => new Promise<never>(() => undefined);
      // NOTE: as a dead process: once node 1's file is in place, nothing more happens on any node.
      const dying = (t: Transport): Transport => {
        const alive = <T>(f: () => Promise<T>): Promise<T> => (arm.dead ? never() : f());
        return {
          name: t.name,
          exec: (c, o) => alive(() => t.exec(c, o)),
          readFile: (p) => alive(() => t.readFile(p)),
          reconnect: (ms) => alive(() => t.reconnect(ms)),
          waitForReboot: t.waitForReboot ? (ms) => alive(() => t.waitForReboot!(ms)) : undefined,
          close: () => t.close(),
          async writeFile(path, data, opts) {
            if (arm.dead) return never();
            await t.writeFile(path, data, opts);
            if (path === '/etc/cluster/cluster.conf') {
              arm.dead = true;
              signals.emit('SIGINT');
              return never();
            }
          },
        };
      };
      const factory: TransportFactory = async (r) => {
        const set = await defaultTransportFactory(r);
        return {
          ...set,
          transports: Object.fromEntries(Object.entries(set.transports).map(([n, t]) => [n, dying(t)])),
        };
      };
      await quietly(() =>
        expect(
          resume(
            { state: dir, yes: true },
            {
              transportFactory: factory,
              renderer: 'silent',
              signals: true,
              signalSource: signals,
              exit: () => undefined,
            },
          ),
        ).rejects.toBeInstanceOf(Interrupted),
      );
      const rec = readState(dir)!.tasks['cluster-foundation.write-conf']['an-node01'];
      expect(rec).toMatchObject({ status: 'running', live: true });
      const mid = await onNodes(dir, PROBES);
      expect(mid['an-node01'][1]).toMatch(/config_version="13"/);
      expect(mid['an-node01'][1]).toMatch(/<vm /);
      expect(mid['an-node01'][0].trim()).toBe('6.2.0 config 12');
      // the next run is a new process: its connections are alive
      const { value: r, text } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(r.outcome, text).toBe('complete');
      expect(r.executed[0]).toBe('cluster-foundation.write-conf@an-node01');
      const { after } = await expectAppliedLive(dir, before, j0, runs0);
      for (const n of NODES) expect(after[n][1]).toMatch(/<fence_daemon post_join_delay="20"\s*\/>/);
      expect(readState(dir)!.tasks['cluster-foundation.write-conf']['an-node01'].live).toBeUndefined();
      // and a resume after that runs nothing
      const { value: again } = await quietly(() =>
        resume({ state: dir, yes: true }, { renderer: 'silent', signals: false }),
      );
      expect(again.executed).toEqual([]);
    },
  );
});

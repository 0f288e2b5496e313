/**
 * `anvil-install check` on the lab, through the built CLI: after an install everything verifies
 * (exit 0); after tampering by hand (an /etc/hosts line, a stopped service, a bond failed over to
 * its backup link by a pulled cable) each drift is named by task and node with what was seen (exit
 * 7), while the check itself changes nothing on the nodes and journals only reads; `--only hosts
 * --force` then puts /etc/hosts back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli-process.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { parseJournal } from '../../src/state/journal.js';
import { copyCheckpoint } from '../helpers/checkpoints.js';
import { loadSavedWorld } from '../../src/lab/store/persist.js';

const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'anvil-check-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * What the nodes hold, from the lab's saved world: files (modes, times, contents), services, NICs,
 * cables, addresses, packages, disks. Left out is what passes with time alone: syslog, the timers
 * of the lab's scheduler and when it last saved.
 */
function nodesState(labDir: string): unknown {
  const w = loadSavedWorld(labDir) as {
    nodes: { fs: { e: Record<string, { e: Record<string, unknown> }> } }[];
    scheduler?: unknown;
    subsystems?: unknown;
  };
  for (const n of w.nodes) delete n.fs.e.var.e.log;
  delete w.scheduler;
  return JSON.parse(JSON.stringify(w, (k, v: unknown) => (k === 'checked' ? undefined : v)));
}

/** Commands that change a node (a verify must run none of them). */
const WRITES =
  /(^|[;&|(]\s*)(rm|mv|cp|mkdir|touch|tee|dd|chmod|chown|ln|rsync|yum|reboot|shutdown|modprobe|mkfs\S*|pvcreate|vgcreate|lvcreate|clusvcadm|wget)\b|sed -i|rpm -[iUe]|parted .*\bmk|drbdadm (?!dump)|virsh (define|start|destroy|undefine|change-media|net-(define|destroy|undefine|autostart|start))|cman_tool version -r|passwd (?!-S)|ssh-keygen (?!-l)|chkconfig \S+ (on|off)|\/etc\/init\.d\/\S+ (start|stop|restart|reload|condrestart)|service \S+ (start|stop|restart)|>(?!\s*(\/dev\/null|&\d))/;

describe('check on the lab', () => {
  it(
    'reports no drift after an install, names each tampering by task and node, changes nothing; --force re-applies a step',
    { timeout: 300_000 },
    async () => {
      const state = join(work, 'st');
      const labDir = join(state, 'lab');
      const cli = (...args: string[]) => runCli(args, { cwd: work, env });
      // NOTE: the shared install after packages (test/global-setup.ts), copied.
      copyCheckpoint('packages', state);

      const clean = await cli('check', '--state', state);
      expect(clean.code, clean.stderr + clean.stdout).toBe(EXIT.ok);
      expect(clean.stdout).toMatch(/^ {2}hosts\.write +an-node01 +ok +12 names resolve as planned$/m);
      expect(clean.stdout).toMatch(
        /^ {2}network\.restart +an-node02 +ok +bond0 on eth0, bond1 on eth1, bond2 on eth2; /m,
      );
      expect(clean.stdout).toMatch(/^ {2}packages\.ntpd +an-node02 +ok +ntpd on at boot and running/m);
      expect(clean.stdout).toMatch(/^cluster-foundation — .*: no task done yet, not checked$/m);
      expect(clean.stdout).toMatch(/^\d+ task records checked \(task × node\): (\d+) ok, 0 drifted; \d+ not checked$/m);
      expect(clean.stdout).toContain('✔ no drift: every done task still verifies');
      expect(clean.stdout).toContain(`anvil-install resume --state ${state}`);

      // by hand: a wrong address in node 1's /etc/hosts, ntpd stopped on node 2, node 1's BCN link 1 cable pulled
      const tamper = [
        await cli(
          'lab',
          'exec',
          '--state',
          labDir,
          'an-node01',
          '--',
          "sed -i 's/^10.10.0.2\\t/10.10.0.99\\t/' /etc/hosts",
        ),
        await cli('lab', 'exec', '--state', labDir, 'an-node02', '--', '/etc/init.d/ntpd stop'),
        await cli('lab', 'fault', '--state', labDir, 'cable', 'an-node01', 'eth0', 'down'),
      ];
      for (const t of tamper) expect(t.code, t.stderr).toBe(0);
      const bond = await cli('lab', 'exec', '--state', labDir, 'an-node01', '--', 'cat /proc/net/bonding/bond0');
      expect(bond.stdout).toContain('Currently Active Slave: eth3');

      const before = nodesState(labDir);
      const journal = readFileSync(join(state, 'journal.jsonl'), 'utf8');
      const stateFile = readFileSync(join(state, 'state.json'), 'utf8');
      const drift = await cli('check', '--state', state);
      expect(drift.code, drift.stderr + drift.stdout).toBe(EXIT.drift);
      const out = drift.stdout;
      expect(out).toMatch(
        /^ {2}hosts\.write +an-node01 +DRIFT +saw: an-node02\.sn -> 10\.10\.0\.99\n +expected: an-node02\.sn -> 10\.10\.0\.2$/m,
      );
      expect(out).toMatch(/^ {2}hosts\.write +an-node02 +ok /m);
      expect(out).toMatch(/^ {2}packages\.ntpd +an-node02 +DRIFT +saw: ntpd is stopped\n +expected: ntpd running$/m);
      expect(out).toMatch(/^ {2}packages\.ntpd +an-node01 +ok /m);
      expect(out).toMatch(
        /^ {2}network\.restart +an-node01 +DRIFT +saw: bond0: slave eth0 MII down \(an-node01 BCN link 1\); bond0: currently active slave eth3, expected the primary eth0/m,
      );
      expect(out).toMatch(/^ {2}network\.restart +an-node02 +ok /m);
      expect(out).toMatch(/^✖ drift: .*hosts\.write on an-node01/m);
      expect(out).toMatch(/^✖ drift: .*packages\.ntpd on an-node02/m);
      expect(out).toMatch(/^✖ drift: .*network\.restart on an-node01/m);
      expect(out).toContain(`anvil-install check --state ${state} --only hosts --force`);
      // the pulled cable is hardware to fix by hand, with its node and interface; no step is re-applied for it
      expect(out).toMatch(/^ +cause: an-node01 eth0 \(BCN link 1\) has no link: .*\(hardware: fix it by hand\)$/m);
      expect(out).toContain('  hardware to fix by hand first (re-applying a step cannot), then check again:');
      expect(out).not.toContain('--only network --force');

      // the check changed nothing: not the nodes, not the state file; it journaled reads only
      expect(nodesState(labDir)).toEqual(before);
      expect(readFileSync(join(state, 'state.json'), 'utf8')).toBe(stateFile);
      const added = parseJournal(readFileSync(join(state, 'journal.jsonl'), 'utf8').slice(journal.length));
      expect(added.length).toBeGreaterThan(50);
      expect(added.filter((e) => e.kind !== 'exec' || !e.task?.startsWith('check:'))).toEqual([]);
      expect(added.map((e) => e.cmd!).filter((c) => WRITES.test(c))).toEqual([]);
      // NOTE: the pattern does catch what the install itself ran
      expect(
        parseJournal(journal)
          .map((e) => e.cmd ?? '')
          .filter((c) => WRITES.test(c)).length,
      ).toBeGreaterThan(10);

      const fixed = await cli('check', '--state', state, '--only', 'hosts', '--force', '--yes');
      expect(fixed.code, fixed.stderr + fixed.stdout).toBe(EXIT.ok);
      expect(fixed.stdout).toContain('an-node01: writing /etc/hosts (+1 -1)');
      expect(fixed.stdout).toContain('an-node02: /etc/hosts unchanged');
      // NOTE: and the comparison above does see a write
      expect(nodesState(labDir)).not.toEqual(before);
      const hosts = await cli('lab', 'exec', '--state', labDir, 'an-node01', '--', 'getent hosts an-node02.sn');
      expect(hosts.stdout).toMatch(/^10\.10\.0\.2\s+an-node02\.sn/);
      const after = await cli('check', '--state', state, '--only', 'hosts');
      expect(after.code, after.stderr + after.stdout).toBe(EXIT.ok);
      expect(after.stdout).toMatch(/^ {2}hosts\.write +an-node01 +ok +12 names resolve as planned$/m);
      // the other drifts are still there
      expect((await cli('check', '--state', state, '--only', 'packages')).code).toBe(EXIT.drift);
    },
  );

  it('usage and folder errors: --force without --only (exit 2), no state folder (exit 1)', async () => {
    const force = await runCli(['check', '--state', join(work, 'st'), '--force'], { cwd: work, env });
    expect(force.code).toBe(EXIT.usage);
    expect(force.stderr).toContain('✖ check --force re-applies one step: name it with --only STEP');
    expect(force.stderr).toContain('hint: anvil-install check --state');
    const none = await runCli(['check', '--state', '/nonexistent'], { cwd: work, env });
    expect(none.code).toBe(EXIT.failed);
    expect(none.stderr).toBe(
      '✖ no state folder at /nonexistent\n  hint: start with `anvil-install install --answers FILE` (or pass --state DIR)\n',
    );
  });
});

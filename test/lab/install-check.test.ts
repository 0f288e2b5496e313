/**
 * `install --check` on the lab, through the built CLI: a live dry run reads the nodes and shows what
 * each step would do, and changes nothing. Proof: the lab's own command journals (every command
 * run over SSH and every file changed over SFTP) hold only read-only commands and no file change,
 * and the checkpoint records no task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process.js';
import { readJournal, type JournalEntry } from '../../src/lab/store/journal.js';
import { readState } from '../../src/state/store.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { loadSavedWorld } from '../../src/lab/store/persist.js';
import { copyCheckpoint } from '../helpers/checkpoints.js';

const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');
const NODES = ['an-node01', 'an-node02'];
const env = { ...process.env, CI: 'true' };
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'anvil-check-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Commands that only read (each part of a `;`, `&&`, `||` chain must be one). */
const READ_ONLY = [
  /^cat [^>]+$/,
  /^test /,
  /^echo \S+$/,
  /^ls /,
  /^id -u$/,
  /^uname -n$/,
  /^getent hosts /,
  /^ip -o (-4 )?(link|addr) show$/,
  /^chkconfig --list \S+$/,
  /^rpm -q /,
  /^\/etc\/init\.d\/\S+ status$/,
  /^cman_tool (status|version|nodes)$/,
  /^clustat$/,
  /^ccs_config_validate$/,
  /^drbdadm dump(-md \S+ >\/dev\/null 2>&1)?$/,
  /^gfs2_tool sb \S+ (table|uuid)$/,
  /^(lvs|vgs|pvs) --noheadings /,
  /^(lvscan|vgscan|pvscan)$/,
  /^parted -s \S+ unit \S+ print( free)?$/,
  /^passwd -S \S+$/,
  /^virsh (list --all|net-list --all|dominfo \S+( >\/dev\/null 2>&1)?|dumpxml \S+)$/,
  /^ssh -o BatchMode=yes -o ConnectTimeout=\d+ root@\S+ uname -n$/,
];
function readOnly(cmd: string): boolean {
  return cmd.split(/\s*(?:;|&&|\|\|)\s*/).every((part) => READ_ONLY.some((re) => re.test(part.trim())));
}
function entries(state: string): JournalEntry[] {
  return NODES.flatMap((n) => readJournal(join(state, 'lab'), n));
}

describe('install --check on the lab', () => {
  it(
    'shows every step against the fresh nodes, runs only read-only commands, records nothing',
    { timeout: 240_000 },
    async () => {
      const state = join(work, 'fresh');
      const r = await runCli(['install', '--lab', '--check', '--answers', ANSWERS, '--state', state], {
        cwd: work,
        env,
      });
      expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
      expect(r.stdout).toContain('━━ Step 5 of 20 · network: Bonds and the IFN bridge');
      expect(r.stdout).toContain("⚠ Losing access to your server's network is a very real possibility!");
      expect(r.stdout).toMatch(
        /\/etc\/selinux\/config on an-node01 and an-node02 \(same on both\): changed, \+1 -1\n[\s\S]*-SELINUX=enforcing\n\s+\+SELINUX=disabled/,
      );
      expect(r.stdout).toContain(
        'security.selinux on an-node01: would change — expected SELINUX=disabled in /etc/selinux/config; saw SELINUX=enforcing',
      );
      expect(r.stdout).toContain('preflight.node on an-node02: in place');
      // NOTE: 131 = 129 + storage-services.libvirt-guests-off on both nodes.
      expect(r.stdout).toMatch(
        /install --check: 131 task×node would run \(\d+ would change, \d+ already in place, 11 operator tests\); 0 done earlier and unchanged\. Nothing was changed\./,
      );
      const seen = entries(state);
      expect(seen.length).toBeGreaterThan(50);
      expect(seen.filter((e) => 'sftp' in e)).toEqual([]);
      expect(seen.map((e) => ('cmd' in e ? e.cmd : '')).filter((c) => !readOnly(c))).toEqual([]);
      expect(readState(state)?.tasks ?? {}).toEqual({});
    },
  );

  it(
    'after part of the install: the done steps have nothing to do, the next ones show their diffs; still nothing written',
    { timeout: 240_000 },
    async () => {
      const state = join(work, 'partial');
      copyCheckpoint('hosts', state);
      const before = NODES.map((n) => readJournal(join(state, 'lab'), n).length);
      const tasksBefore = JSON.stringify(readState(state)!.tasks);
      const r = await runCli(
        ['install', '--lab', '--check', '--answers', ANSWERS, '--state', state, '--to', 'packages'],
        { cwd: work, env },
      );
      expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
      expect(r.stdout).toMatch(
        /━━ Step 6 of 20 · hosts: Updating \/etc\/hosts\n[\s\S]*?nothing to do: every task is done(,| and) unchanged/,
      );
      expect(r.stdout).toMatch(/ssh-keys\.keygen on an-node01: would change/);
      expect(r.stdout).toMatch(/\/etc\/ntp\.conf on an-node01 and an-node02 \(same on both\): changed/);
      const added = NODES.flatMap((n, i) => readJournal(join(state, 'lab'), n).slice(before[i]));
      expect(added.length).toBeGreaterThan(20);
      expect(added.filter((e) => 'sftp' in e)).toEqual([]);
      expect(added.map((e) => ('cmd' in e ? e.cmd : '')).filter((c) => !readOnly(c))).toEqual([]);
      expect(JSON.stringify(readState(state)!.tasks)).toBe(tasksBefore);
    },
  );

  it(
    'after tampering: done tasks are re-checked and drifted files shown as diffs; the lab world (clock included) is left as it was, by install --check and by check',
    { timeout: 300_000 },
    async () => {
      const state = join(work, 'tampered');
      const labDir = join(state, 'lab');
      const cli = (...args: string[]) => runCli(args, { cwd: work, env: { ...env, NO_COLOR: '1' } });
      copyCheckpoint('packages', state);
      // an untouched install: every done task re-checked, nothing drifted
      const clean = await cli(
        'install',
        '--lab',
        '--check',
        '--answers',
        ANSWERS,
        '--state',
        state,
        '--to',
        'packages',
      );
      expect(clean.code, clean.stderr + clean.stdout).toBe(EXIT.ok);
      expect(clean.stdout).not.toContain('DRIFT');
      expect(clean.stdout).toMatch(
        /nothing to do: every task is done, unchanged, and its check still passes \(\d+ re-checked\)/,
      );
      for (const t of [
        await cli(
          'lab',
          'exec',
          '--state',
          labDir,
          'an-node01',
          '--',
          "sed -i 's/^10.20.0.2\\t/10.20.0.9\\t/' /etc/hosts",
        ),
        await cli('lab', 'exec', '--state', labDir, 'an-node02', '--', '/etc/init.d/ntpd stop'),
      ])
        expect(t.code, t.stderr).toBe(0);
      // NOTE: the saved world as the lab reads it (world.json plus the changes logged after it): a lab
      // compacts its log when it opens, which renames the generation but changes nothing in the world.
      const world = () => loadSavedWorld(labDir);
      const before = world();
      const tasksBefore = JSON.stringify(readState(state)!.tasks);
      // NOTE: every step, so the verifies of the steps not done yet poll (cman membership…): no lab time may pass.
      const r = await cli('install', '--lab', '--check', '--answers', ANSWERS, '--state', state);
      expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
      expect(r.stdout).toMatch(
        /hosts\.write on an-node01: DRIFT — expected an-node02 -> 10\.20\.0\.2.*saw an-node02 -> 10\.20\.0\.9.*; `install` re-applies it after asking/,
      );
      expect(r.stdout).toMatch(
        /\/etc\/hosts on an-node01: differs from what hosts\.write wrote, \+1 -1\n[\s\S]*?-10\.20\.0\.9\tan-node02 an-node02\.bcn an-node02\.alteeve\.ca\n\s+\+10\.20\.0\.2\tan-node02 /,
      );
      expect(r.stdout).toMatch(/packages\.ntpd on an-node02: DRIFT — expected ntpd running; saw ntpd is stopped/);
      expect(r.stdout).not.toMatch(/hosts\.write on an-node02: DRIFT|packages\.ntpd on an-node01: DRIFT/);
      expect(r.stdout).toMatch(
        /DRIFT: \d+ done task×node no longer checks? \(\d+ `install` would re-apply after asking, 0 reported only, 0 put back by a later task\), 1 file differs\. Nothing was changed\./,
      );
      expect(world()).toEqual(before);
      const c = await cli('check', '--state', state);
      expect(c.code, c.stderr + c.stdout).toBe(EXIT.drift);
      expect(world()).toEqual(before);
      // the same report for automation: one JSON object, the same exit code
      const j = await cli('check', '--state', state, '--json');
      expect(j.code, j.stderr).toBe(EXIT.drift);
      const doc = JSON.parse(j.stdout) as {
        format: string;
        findings: { task: string; node: string; status: string }[];
      };
      expect(doc.format).toBe('anvil-install.check/1');
      expect(doc.findings).toContainEqual(
        expect.objectContaining({ task: 'hosts.write', node: 'an-node01', status: 'drift' }),
      );
      expect(doc.findings).toContainEqual(
        expect.objectContaining({ task: 'hosts.write', node: 'an-node02', status: 'ok' }),
      );
      expect(world()).toEqual(before);
      expect(JSON.stringify(readState(state)!.tasks)).toBe(tasksBefore);
    },
  );
});

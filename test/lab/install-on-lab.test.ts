/**
 * The install on the lab, end to end, through the built CLI:
 * - the README's main command: every step the lab simulates done on both nodes, then a summary;
 * - a cable pulled before the network restart: the network verify fails and names the link;
 * - the wizard SIGKILLed at named commands of steps 1-8 while the lab runs as its own process, then
 *   resumed until done: the end state equals the shared uninterrupted run's (test/global-setup.ts),
 *   ssh-keygen ran once per node and /root/backups still holds the installer's original ifcfg files
 *   (killed at random moments of the whole install: `npm run torture`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, serveLab } from '../helpers/cli-process.js';
import { loadWorldOffline } from '../../src/lab/index.js';
import { loadSavedWorld } from '../../src/lab/store/persist.js';
import { runWindowSeed } from '../../src/bench/kill-window.js';
import { expectRules } from '../bench/kill-rules.js';
import { checkpoint, copyCheckpoint } from '../helpers/checkpoints.js';
import { LAB_SIMULATED_STEPS } from '../../src/lab/capabilities.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { loadAnswers } from '../../src/plan/load.js';

const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');
const NODES = ['an-node01', 'an-node02'];
let work: string;
const env = { ...process.env, CI: 'true' };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'anvil-install-lab-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const SNAPSHOT = [
  'cat /etc/hosts',
  'cat /etc/selinux/config',
  'tail -n 4 /etc/ntp.conf',
  'for f in /etc/sysconfig/network-scripts/ifcfg-*; do echo "== $f"; cat $f; done',
  'for f in /root/backups/*; do echo "== $f"; cat $f; done',
  'cat /proc/net/bonding/bond0 /proc/net/bonding/bond1 /proc/net/bonding/bond2',
  'ip -o -4 addr show',
  'chkconfig --list',
  'rpm -q NetworkManager cman rgmanager ntp libvirt',
  'virsh net-list --all',
  'cat /root/.ssh/authorized_keys',
  'cat /root/.ssh/known_hosts',
  // NOTE: file listings too: no temporary copy of an interrupted write may be left behind.
  'ls -A /etc /etc/sysconfig/network-scripts /etc/selinux /root/backups /root/.ssh /etc/cluster /etc/drbd.d /shared /shared/definitions',
  'cat /etc/cluster/cluster.conf',
  'cat /etc/drbd.d/r0.res /etc/lvm/lvm.conf',
  'cat /proc/drbd',
  'clustat',
  'virsh list --all',
  'lvs --noheadings -o lv_name,vg_name',
];

/** The observable end state of both nodes, with key material (random per world) replaced by stable tags. */
async function snapshot(labDir: string): Promise<Record<string, string>> {
  const world = await loadWorldOffline({ stateDir: labDir });
  const out: Record<string, string> = {};
  const tags = new Map<string, string>();
  for (const n of NODES)
    for (const cmd of SNAPSHOT) {
      const r = await world.nodes[n].exec(cmd);
      out[`${n}: ${cmd}`] = `${r.code}\n${r.stdout}${r.stderr}`
        .replace(/AAAA[0-9A-Za-z+/]{40,}={0,2}/g, (k) => {
          if (!tags.has(k)) tags.set(k, `KEY${tags.size + 1}`);
          return tags.get(k)!;
        })
        // NOTE: what varies with how often the tests ran, not with what was built: counters and times.
        .replace(/Link Failure Count: \d+/g, 'Link Failure Count: N')
        .replace(/Cluster Status for (\S+) @ .*/g, 'Cluster Status for $1 @ TIME')
        .replace(/(ns|nr|dw|dr|al|bm|ep):\d+/g, '$1:N')
        .replace(/^( +)\d+( +\S+ +running)/gm, '$1ID$2');
    }
  return out;
}

function journalCount(labDir: string, node: string, re: RegExp): number {
  return readFileSync(join(labDir, 'journal', `${node}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l && re.test((JSON.parse(l) as { cmd: string }).cmd)).length;
}

describe('install on the lab', () => {
  const refState = () => join(work, 'reference');

  it(
    'the README main command builds the whole platform: 20 of 20 steps, the tests driven, every VM a service on its node',
    { timeout: 300_000 },
    async () => {
      const r = await runCli(['install', '--lab', '--yes', '--answers', ANSWERS, '--state', refState()], {
        cwd: work,
        env,
      });
      expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
      expect(r.stdout).toContain('✔ every selected step is done');
      expect(r.stdout).toContain(`done:               ${LAB_SIMULATED_STEPS.join(', ')}`);
      expect(LAB_SIMULATED_STEPS).toHaveLength(20);
      expect(r.stdout).toContain('not yet executable: —');
      expect(r.stdout).toContain(`state folder:       ${refState()}`);
      expect(r.stdout).toMatch(/runbook: +anvil-install runbook/);

      const state = JSON.parse(readFileSync(join(refState(), 'state.json'), 'utf8')) as {
        tasks: Record<string, Record<string, { status: string }>>;
      };
      const records = Object.entries(state.tasks).flatMap(([t, byNode]) =>
        Object.entries(byNode).map(([n, rec]) => `${t}@${n}:${rec.status}`),
      );
      expect(records.length).toBeGreaterThan(100);
      expect(records.filter((x) => !x.endsWith(':done'))).toEqual([]);
      // the tests were run by the tool and their evidence kept
      const ev = (t: string) =>
        (state.tasks[t]['an-node01'] as unknown as { evidence: { summary: string; details: Record<string, string> } })
          .evidence;
      // NOTE: the drive's own summary, then its verify's reading of the nodes after it.
      expect(ev('fence-tests.run').summary).toBe(
        '4 fence tests passed (an-node01/ipmi, an-node01/pdu, an-node02/ipmi, an-node02/pdu); 4 fences seen in syslog, each victim rebooted; both nodes back in the cluster',
      );
      expect(ev('fence-tests.run').details['test2.syslog']).toMatch(
        /fence an-node01.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent \| .*fence an-node01.alteeve.ca success/,
      );
      expect(ev('net-tests.run').summary).toMatch(
        /6 bonds × 3 link tests and both switches passed.*; every bond test seen in syslog; all bonds on their primary links/,
      );
      expect(ev('acceptance.vm-crash').details['vm0001-dev']).toMatch(
        /crash 1: restarted on an-node01; crash 2: restarted on an-node01; crash 3: relocated to an-node02/,
      );
      expect(ev('acceptance.node-crash-node2').details.takeover).toMatch(
        /an-node02 fenced by an-node01; vm0003-db, vm0004-ms restarted on an-node01/,
      );

      // real state read back from the lab nodes
      const world = await loadWorldOffline({ stateDir: join(refState(), 'lab') });
      const bond0 = await world.nodes['an-node01'].exec('cat /proc/net/bonding/bond0');
      expect(bond0.stdout).toContain('Currently Active Slave: eth0');
      expect(bond0.stdout).toContain('Permanent HW addr: 00:1b:21:9d:59:fc');
      for (const from of NODES)
        for (const name of ['an-node01.sn', 'an-node02.ifn', 'an-node02.alteeve.ca']) {
          const s = await world.nodes[from].exec(`ssh -o BatchMode=yes root@${name} uname -n`);
          expect(s.code, `${from} -> ${name}: ${s.stderr}`).toBe(0);
          expect(s.stdout.trim()).toBe(`${name.startsWith('an-node01') ? 'an-node01' : 'an-node02'}.alteeve.ca`);
        }
      const clustat = (await world.nodes['an-node01'].exec('clustat')).stdout;
      for (const v of ['vm:vm0001-dev  ', 'vm:vm0002-web ', 'vm:vm0003-db  ', 'vm:vm0004-ms  '])
        expect(clustat).toMatch(
          new RegExp(`${v.trim()} +an-node0${v.includes('0001') || v.includes('0002') ? 1 : 2}.alteeve.ca +started`),
        );
      // no destructive storage command ran twice on a node, and no guest was ever started on both
      const saved = loadSavedWorld(join(refState(), 'lab')) as {
        subsystems: { storage: { log: Record<string, { op: string; target: string }[]> } };
      };
      for (const n of NODES) {
        const ops = saved.subsystems.storage.log[n].map((e) => `${e.op} ${e.target}`);
        expect(ops.length).toBeGreaterThan(5);
        expect(new Set(ops).size, ops.join('; ')).toBe(ops.length);
      }
      expect(
        JSON.stringify((saved.subsystems as unknown as { virt: { doubleStarts?: unknown[] } }).virt.doubleStarts ?? []),
      ).toBe('[]');
    },
  );

  it(
    'builds another cluster too (iLO and two PDUs, other names, networks, bridge, disk) and keeps its secrets out of every file',
    { timeout: 300_000 },
    async () => {
      const state = join(work, 'other');
      const secrets = { ILO_PW: 'Zq8-ilo-Secret', RICCI_PW: 'Rc1-ricci-Secret' };
      const r = await runCli(
        [
          'install',
          '--lab',
          '--yes',
          '--answers',
          join(ROOT, 'test', 'fixtures', 'other.anvil.yaml'),
          '--state',
          state,
        ],
        { cwd: work, env: { ...env, ...secrets } },
      );
      expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
      expect(r.stdout).toContain(`done:               ${LAB_SIMULATED_STEPS.join(', ')}`);
      const st = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as {
        tasks: Record<string, Record<string, { evidence: { details: Record<string, string> } }>>;
      };
      // the power test of the two-PDU method cuts both outlets: the iLO fails first, then both PDUs succeed
      expect(st.tasks['fence-tests.run']['kvm-a'].evidence.details.test2).toMatch(
        /cut kvm-a's power from kvm-b: .* outlet .* off, .* outlet .* off: fenced by kvm-b/,
      );
      const world = await loadWorldOffline({ stateDir: join(state, 'lab') });
      expect((await world.nodes['kvm-a'].exec('ip -o -4 addr show br-ifn')).stdout).toContain('10.1.4.21/16');
      expect((await world.nodes['kvm-b'].exec('ssh -o BatchMode=yes root@kvm-a.sn uname -n')).stdout).toBe(
        'kvm-a.example.org\n',
      );
      const all = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? all(join(dir, e.name)) : [join(dir, e.name)],
        );
      // NOTE: the lab's saved world is the simulated nodes' disks: their /etc/cluster/cluster.conf holds
      // the fence passwords as a real node's does. Everything of the installer (state, journal, log) and
      // the lab's command journals must not.
      for (const f of all(state).filter(
        (x) =>
          !x.endsWith(join('lab', 'world.json')) &&
          !x.endsWith(join('lab', 'world.log')) &&
          !x.includes(join('lab', 'blobs')),
      )) {
        const text = readFileSync(f, 'utf8');
        for (const v of Object.values(secrets)) expect(text.includes(v), `${v} in ${f}`).toBe(false);
      }
    },
  );

  it('NICs the kernel named otherwise than the roles are renamed (udev + reboot) before the bonds are built', async () => {
    const state = join(work, 'renamed');
    const labDir = join(state, 'lab');
    // the lab is cabled as the tutorial's answers say; these answers give an-node01's BCN roles the other way round
    const swapped = join(work, 'swapped.anvil.yaml');
    writeFileSync(
      swapped,
      readFileSync(ANSWERS, 'utf8').replace(
        'bcn: ["00:E0:81:C7:EC:49", "00:1B:21:9D:59:FC"]',
        'bcn: ["00:1B:21:9D:59:FC", "00:E0:81:C7:EC:49"]',
      ),
    );
    const lab = await serveLab(['--answers', ANSWERS, '--state', labDir], { cwd: work, env });
    let r;
    try {
      // NOTE: up to the packages: with only the BCN roles swapped, node 1's BCN primary is cabled to
      // the backup switch, which the network tests would (rightly) refuse later.
      r = await runCli(['install', '--lab', '--yes', '--answers', swapped, '--state', state, '--to', 'packages'], {
        cwd: work,
        env,
      });
    } finally {
      lab.proc.kill('SIGTERM');
      await lab.exited;
    }
    expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
    expect(r.stdout).toContain(
      'done:               preflight, nics, security, net-daemons, network, hosts, ssh-keys, packages',
    );
    expect(journalCount(labDir, 'an-node01', /reboot/)).toBe(1);
    expect(journalCount(labDir, 'an-node02', /reboot/)).toBe(0);
    const world = await loadWorldOffline({ stateDir: labDir });
    const bond0 = (await world.nodes['an-node01'].exec('cat /proc/net/bonding/bond0')).stdout;
    expect(bond0).toMatch(
      /Currently Active Slave: eth0\nMII Status: up[\s\S]*Slave Interface: eth0\nMII Status: up\nLink Failure Count: 0\nPermanent HW addr: 00:1b:21:9d:59:fc/,
    );
    expect((await world.nodes['an-node01'].exec('cat /root/backups/ifcfg-eth0')).stdout).toContain(
      'IPADDR="10.20.0.1"',
    );
  });

  it('a cable pulled before the network restart makes the network verify fail and name the link', async () => {
    const state = join(work, 'cable');
    copyCheckpoint('net-daemons', state);
    const pulled = await runCli(['lab', 'fault', 'cable', 'an-node01', 'eth3', 'down', '--state', join(state, 'lab')], {
      cwd: work,
      env,
    });
    expect(pulled.code, pulled.stderr).toBe(0);
    const r = await runCli(['resume', '--yes', '--state', state], { cwd: work, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/bond0: slave eth3 MII down \(an-node01 BCN link 2\)/);
  });

  it('killed at named commands of steps 1-8 (the network restart, ssh-keygen) and resumed: the same end state, nothing destructive twice, the backups the originals', async () => {
    // NOTE: the whole install killed at random wall-clock moments is `npm run torture`; here the kills
    // land at the same commands on every run. From nothing: an empty folder is the checkpoint before step 1.
    const empty = mkdtempSync(join(work, 'empty-'));
    const r = await runWindowSeed({
      seed: 8,
      from: { step: 'none', dir: empty },
      to: checkpoint('packages'),
      work,
      env,
      killAt: [
        { cmd: /\/etc\/init\.d\/network restart/, node: 'an-node02' },
        { cmd: /^ssh-keygen -t rsa /, node: 'an-node01' },
      ],
      keep: true,
    });
    expect(r.kills.map((k) => k.step)).toEqual(['network', 'ssh-keys']);
    expectRules(r, 2);
    const labDir = join(work, 'seed-8-packages', 'lab');
    for (const n of NODES) expect(journalCount(labDir, n, /^ssh-keygen -t rsa/), `ssh-keygen runs on ${n}`).toBe(1);
    // every file and listing of the nodes as the uninterrupted run left them: no temporary copy of an
    // interrupted write left behind
    const got = await snapshot(labDir);
    expect(got).toEqual(await snapshot(join(checkpoint('packages').dir, 'lab')));
    // the backups are the installer's originals (ONBOOT/BOOTPROTO of the install), not our bond slaves
    const answers = loadAnswers(ANSWERS, {});
    for (const n of NODES) {
      const backups = got[`${n}: for f in /root/backups/*; do echo "== $f"; cat $f; done`];
      expect(backups).not.toMatch(/MASTER=/);
      const macs = Object.values(answers.nodes.find((x) => x.name === n)!.nics!).flat();
      for (const m of macs) expect(backups.toUpperCase()).toContain(m.toUpperCase());
    }
  }, 300_000);
});

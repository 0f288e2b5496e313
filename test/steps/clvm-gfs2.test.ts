import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { clvm } from '../../steps/clvm.js';
import { gfs2, fstabEcho, fstabLine, mkfsCommand, GFS2_UUID_KEY } from '../../steps/gfs2.js';
import { renderTemplate } from '../../src/engine/render.js';
import { pollDefaults } from '../../src/verify/poll.js';
import type { ExecOptions, ExecResult } from '../../src/engine/types.js';
import type { Plan } from '../../src/plan/derive.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

beforeAll(() => {
  pollDefaults.intervalMs = 0;
  pollDefaults.tries = 2;
});

const p = tutorialPlan();
const out = (f: string) => readFileSync(`test/fixtures/tutorial/outputs/${f}`, 'utf8');
const ct = (id: string) => clvm.tasks.find((t) => t.id === id)!;
const gt = (id: string) => gfs2.tasks.find((t) => t.id === id)!;

/** Clustered LVM seen from both nodes: one metadata state (DRBD replicates it), commands on either node. */
function lvmPair(plan: Plan) {
  const st = { pvs: [] as string[], vgs: new Map<string, string>(), lvs: [] as { vg: string; lv: string }[] };
  const nodes = plan.nodes.map((n) => new FakeNode(n));
  for (const node of nodes) {
    node.on('pvs --noheadings -o pv_name', () => st.pvs.map((d) => `  ${d}\n`).join(''));
    node.on('vgs --noheadings -o vg_name', () => [...st.vgs.keys()].map((v) => `  ${v}\n`).join(''));
    node.on(/^lvs --noheadings -o lv_name (\S+)$/, (_c, m) =>
      st.vgs.has(m[1])
        ? st.lvs
            .filter((l) => l.vg === m[1])
            .map((l) => `  ${l.lv}\n`)
            .join('')
        : { code: 5, stderr: `  Volume group "${m[1]}" not found` },
    );
    node.on(/^pvcreate (.+)$/, (_c, m) => {
      st.pvs.push(...m[1].split(' '));
      return '';
    });
    node.on(/^vgcreate -c y (\S+) (\S+)$/, (_c, m) => {
      st.vgs.set(m[1], m[2]);
      return `  Clustered volume group "${m[1]}" successfully created`;
    });
    node.on(/^lvcreate -l 100%FREE -n (\S+) (\S+)$/, (_c, m) => {
      st.lvs.push({ vg: m[2], lv: m[1] });
      return `  Logical volume "${m[1]}" created`;
    });
    node.on('pvscan', () =>
      st.pvs.length
        ? st.pvs.map((d) => `  PV ${d}                      lvm2 [18.61 GiB]`).join('\n')
        : '  No matching physical volumes found',
    );
    node.on('vgscan', () =>
      [
        '  Reading all physical volumes.  This may take a while...',
        ...[...st.vgs.keys()].reverse().map((v) => `  Found volume group "${v}" using metadata type lvm2`),
      ].join('\n'),
    );
    node.on('lvscan', () =>
      st.lvs.map((l) => `  ACTIVE            '/dev/${l.vg}/${l.lv}' [18.61 GiB] inherit`).join('\n'),
    );
  }
  return { st, a: nodes[0], b: nodes[1] };
}

describe('clvm', () => {
  it('edits lvm.conf on the node (backup .orig) and verifies the three settings', async () => {
    const stock = renderTemplate('lvm/lvm.conf.ejs', {});
    const n = new FakeNode(p.nodes[0], { '/etc/lvm/lvm.conf': stock });
    const ctx = fakeContext(p, n, n);
    await expect(ct('clvm.lvm-conf').verify!(ctx)).rejects.toThrow(
      'saw filter = [ "a/.*/" ], locking_type = 1, fallback_to_local_locking = 1',
    );
    await runTask(ct('clvm.lvm-conf'), ctx);
    expect(n.files.get('/etc/lvm/lvm.conf.orig')).toBe(stock);
    expect((await ct('clvm.lvm-conf').verify!(ctx)).summary).toBe(
      'DRBD-only filter, clustered locking, no local fall-back',
    );
  });

  it('checks the cluster and DRBD are up before clvmd', async () => {
    const n = new FakeNode(p.nodes[0]);
    const status =
      'Version: 6.2.0\nConfig Version: 7\nCluster Name: an-cluster-A\nCluster Id: 24561\nCluster Member: Yes\nCluster Generation: 68\nMembership state: Cluster-Member\nNodes: 2\nExpected votes: 1\nTotal votes: 2\nNode votes: 1\nQuorum: 1  \nActive subsystems: 7\nFlags: 2node \nPorts Bound: 0  \nNode name: an-node01.alteeve.ca\nNode ID: 1\nMulticast addresses: 239.192.95.81 \nNode addresses: 10.20.0.1\n';
    n.on('cman_tool status', status.replace('Nodes: 2', 'Nodes: 1'));
    await expect(ct('clvm.cluster-up').verify!(fakeContext(p, n, n))).rejects.toThrow('nodes 1');
    n.on('cman_tool status', status);
    expect((await ct('clvm.cluster-up').verify!(fakeContext(p, n, n))).summary).toBe('member of an-cluster-A, 2 nodes');
    n.on('/etc/init.d/drbd status', out('drbd-status-wfconnection.txt'));
    await expect(ct('clvm.drbd-start').verify!(fakeContext(p, n, n))).rejects.toThrow(
      'r0 WFConnection Primary/Unknown UpToDate/Outdated',
    );
    n.on('/etc/init.d/drbd status', out('drbd-status.txt'));
    await ct('clvm.drbd-start').verify!(fakeContext(p, n, n));
    n.on('/etc/init.d/clvmd status', { code: 3, stdout: 'clvmd is stopped\n' });
    await expect(ct('clvm.clvmd-start').verify!(fakeContext(p, n, n))).rejects.toThrow('clvmd is stopped');
    n.on('/etc/init.d/clvmd status', 'clvmd (pid  2707) is running...\nClustered Volume Groups: (none)\n');
    await ct('clvm.clvmd-start').verify!(fakeContext(p, n, n));
  });

  it('creates PVs, clustered VGs and the shared LV once, on node 1, and sees them on both nodes', async () => {
    const { st, a, b } = lvmPair(p);
    const ctx = fakeContext(p, a, b);
    expect(ct('clvm.pvcreate').commands!(p, p.nodes[0])).toEqual(['pvcreate /dev/drbd0 /dev/drbd1 /dev/drbd2']);
    st.pvs.push('/dev/drbd0'); // an interrupted earlier run got this far
    expect(await ct('clvm.pvcreate').done!(ctx)).toBe(false);
    await runTask(ct('clvm.pvcreate'), ctx);
    expect(a.commands).toContain('pvcreate /dev/drbd1 /dev/drbd2');
    expect((await ct('clvm.pvcreate').verify!(ctx)).summary).toBe('an-node01: 3 PVs; an-node02: 3 PVs');

    await expect(ct('clvm.vgcreate').verify!(ctx)).rejects.toThrow('missing shared-vg0, an01-vg0, an02-vg0');
    await runTask(ct('clvm.vgcreate'), ctx);
    expect(a.commands.filter((c) => c.startsWith('vgcreate'))).toEqual([
      'vgcreate -c y shared-vg0 /dev/drbd0',
      'vgcreate -c y an01-vg0 /dev/drbd1',
      'vgcreate -c y an02-vg0 /dev/drbd2',
    ]);
    await ct('clvm.vgcreate').verify!(ctx);
    expect(await ct('clvm.vgcreate').done!(ctx)).toBe(true);

    await runTask(ct('clvm.lvcreate'), ctx);
    await runTask(ct('clvm.lvcreate'), ctx);
    expect(a.commands.filter((c) => c.startsWith('lvcreate'))).toEqual(['lvcreate -l 100%FREE -n shared shared-vg0']);
    expect((await ct('clvm.lvcreate').verify!(ctx)).summary).toBe('/dev/shared-vg0/shared ACTIVE on both nodes');
  });
});

class RecordingNode extends FakeNode {
  readonly stdin: (string | undefined)[] = [];
  override async exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stdin.push(opts?.stdin);
    return super.exec(cmd, opts);
  }
}

describe('gfs2', () => {
  const UUID = '162a80eb-59b3-08bd-5d69-740cbb60aa45';

  it("formats once, answering mkfs.gfs2's question, and checks the lock table", async () => {
    expect(mkfsCommand(p)).toBe('mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared');
    const n = new RecordingNode(p.nodes[0]);
    let made = false;
    n.on('gfs2_tool sb /dev/shared-vg0/shared uuid', () =>
      made ? `current uuid = ${UUID.toUpperCase()}\n` : { code: 1, stderr: 'bad superblock' },
    );
    n.on('gfs2_tool sb /dev/shared-vg0/shared table', () =>
      made ? 'current lock table name = "an-cluster-A:shared"\n' : { code: 1 },
    );
    n.on(/^mkfs\.gfs2 /, () => {
      made = true;
      return 'Lock Table:                "an-cluster-A:shared"';
    });
    const ctx = fakeContext(p, n, n);
    expect(await gt('gfs2.mkfs').done!(ctx)).toBe(false);
    await gt('gfs2.mkfs').run!(ctx);
    expect(n.stdin[n.commands.indexOf(mkfsCommand(p))]).toBe('y\n');
    expect(await gt('gfs2.mkfs').done!(ctx)).toBe(true);
    await gt('gfs2.mkfs').run!(ctx);
    expect(n.commands.filter((c) => c.startsWith('mkfs'))).toHaveLength(1);
    n.on('cat /proc/mounts', 'proc /proc proc rw 0 0\n');
    expect((await gt('gfs2.mkfs').verify!(ctx)).details).toEqual({ uuid: UUID, table: 'an-cluster-A:shared' });
    expect(ctx.store.get(GFS2_UUID_KEY)).toBe(UUID);
    // once mounted (a later `check`), the mkfs verify reads the journals too
    n.on('cat /proc/mounts', '/dev/mapper/shared--vg0-shared /shared gfs2 rw,seclabel,relatime,hostdata=jid=0 0 0\n');
    n.on('gfs2_tool journals /shared', 'journal2 - 128MB\njournal1 - 128MB\njournal0 - 128MB\n3 journal(s) found.\n');
    await expect(gt('gfs2.mkfs').verify!(ctx)).rejects.toThrow(
      'expected 2 journals on /dev/shared-vg0/shared; saw 3 journal(s) found, 2 planned (-j 2)',
    );
  });

  it('appends the fstab line by UUID once and verifies it with the gfs2 init script', async () => {
    expect(fstabEcho(p)).toBe(
      'echo `gfs2_tool sb /dev/shared-vg0/shared uuid | awk \'/uuid =/ { print $4; }\' | sed -e "s/\\(.*\\)/UUID=\\L\\1\\E \\/shared\\t\\tgfs2\\tdefaults,noatime,nodiratime\\t0 0/"`',
    );
    const fstab = 'UUID=aaaa / ext4 defaults 1 1\ntmpfs /dev/shm tmpfs defaults 0 0\n';
    const n = new FakeNode(p.nodes[1], { '/etc/fstab': fstab });
    n.on('gfs2_tool sb /dev/shared-vg0/shared uuid', `current uuid = ${UUID}\n`);
    n.on('/etc/init.d/gfs2 status', 'Configured GFS2 mountpoints: \nActive GFS2 mountpoints: \n');
    const ctx = fakeContext(p, n, n);
    await runTask(gt('gfs2.fstab'), ctx);
    await runTask(gt('gfs2.fstab'), ctx);
    expect(n.files.get('/etc/fstab')).toBe(`${fstab}UUID=${UUID} /shared gfs2 defaults,noatime,nodiratime 0 0\n`);
    expect(n.files.get('/etc/fstab.orig')).toBe(fstab);
    await expect(gt('gfs2.fstab').verify!(ctx)).rejects.toThrow('configured: none; active: none');
    n.on('/etc/init.d/gfs2 status', out('gfs2-status.txt'));
    expect((await gt('gfs2.fstab').verify!(ctx)).summary).toBe(
      `${fstabLine(p, UUID)}; gfs2 status: configured and active`,
    );
    const other = new FakeNode(p.nodes[1], { '/etc/fstab': '/dev/shared-vg0/shared /shared gfs2 defaults 0 0\n' });
    other.on('gfs2_tool sb /dev/shared-vg0/shared uuid', `current uuid = ${UUID}\n`);
    await expect(runTask(gt('gfs2.fstab'), fakeContext(p, other, other))).rejects.toThrow(
      '/etc/fstab already mounts /shared',
    );
  });

  it('mounts once, creates the listed directories and checks them on both nodes, then stops storage', async () => {
    const a = new FakeNode(p.nodes[0]);
    const b = new FakeNode(p.nodes[1]);
    let mountedNow = false;
    a.on('mkdir -p /shared', '').on('cat /proc/mounts', () =>
      mountedNow
        ? '/dev/mapper/shared--vg0-shared /shared gfs2 rw,seclabel,noatime,nodiratime,hostdata=jid=0 0 0\n'
        : 'proc /proc proc rw 0 0\n',
    );
    a.on('mount /dev/shared-vg0/shared /shared/', () => {
      mountedNow = true;
      return '';
    });
    await runTask(gt('gfs2.mount'), fakeContext(p, a, b));
    await runTask(gt('gfs2.mount'), fakeContext(p, a, b));
    expect(a.commands.filter((c) => c.startsWith('mount '))).toHaveLength(1);
    // NOTE: gfs2_tool journals as gfs2-utils 3.0 print_journals() lists them (the FS made with -j 1 by mistake first).
    a.on('gfs2_tool journals /shared', 'journal0 - 128MB\n1 journal(s) found.\n');
    await expect(gt('gfs2.mount').verify!(fakeContext(p, a, b))).rejects.toThrow(
      'an-node01: expected 2 journals on /dev/shared-vg0/shared (mkfs.gfs2 -j 2); saw 1 journal(s) found, 2 planned (-j 2)',
    );
    a.on('gfs2_tool journals /shared', { code: 1, stderr: 'gfs2_tool: /shared is not a GFS2 file system\n' });
    await expect(gt('gfs2.mount').verify!(fakeContext(p, a, b))).rejects.toThrow(
      /saw gfs2_tool journals \/shared: gfs2_tool: \/shared is not/,
    );
    a.on('gfs2_tool journals /shared', 'journal1 - 128MB\njournal0 - 128MB\n2 journal(s) found.\n');
    expect((await gt('gfs2.mount').verify!(fakeContext(p, a, b))).summary).toBe('/shared mounted; 2 journals');

    expect(gt('gfs2.dirs').commands!(p, p.nodes[0])[0]).toBe(
      'mkdir -p /shared/definitions /shared/provision /shared/archive /shared/files',
    );
    a.on(/^test -d /, '');
    b.on(/^test -d /, '/shared/files\n');
    await expect(gt('gfs2.dirs').verify!(fakeContext(p, a, b))).rejects.toThrow(
      'an-node02: expected /shared/definitions',
    );
    b.on(/^test -d /, '');
    expect((await gt('gfs2.dirs').verify!(fakeContext(p, a, b))).summary).toBe('4 directories on both nodes');

    await expect(gt('gfs2.stop-storage').verify!(fakeContext(p, a, b))).rejects.toThrow('expected /shared unmounted');
    mountedNow = false;
    a.on('/etc/init.d/clvmd status', { code: 3, stdout: 'clvmd is stopped\n' }).on('/etc/init.d/drbd status', {
      code: 3,
      stdout: 'drbd not loaded\n',
    });
    expect((await gt('gfs2.stop-storage').verify!(fakeContext(p, a, b))).summary).toBe(
      'gfs2 unmounted, clvmd stopped, drbd not loaded',
    );
    expect(gt('gfs2.stop-storage').commands!(p, p.nodes[0])).toEqual([
      '/etc/init.d/gfs2 stop && /etc/init.d/clvmd stop && /etc/init.d/drbd stop',
    ]);
  });
});

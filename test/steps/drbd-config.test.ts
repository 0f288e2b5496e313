import { beforeAll, describe, expect, it } from 'vitest';
import { drbdConfig } from '../../steps/drbd-config.js';
import { drbdInstall, installCommands, fenceHandlerUrl } from '../../steps/drbd-install.js';
import { pollDefaults } from '../../src/verify/poll.js';
import type { Plan } from '../../src/plan/derive.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

beforeAll(() => {
  pollDefaults.intervalMs = 0;
  pollDefaults.tries = 2;
});

const p = tutorialPlan();
const task = (id: string) => drbdConfig.tasks.find((t) => t.id === id)!;

interface Minor {
  md: boolean;
  attached: boolean;
  cs: string;
  ds: [string, string];
}

/** A node with DRBD 8.3 state that the drbdadm commands change, and /proc/drbd rendered from it. */
function drbdNode(plan: Plan, index: 0 | 1) {
  const node = new FakeNode(plan.nodes[index]);
  let loaded = false;
  const minors = new Map<string, Minor>(
    plan.resources.map((r) => [
      r.name,
      { md: false, attached: false, cs: 'Unconfigured', ds: ['Diskless', 'DUnknown'] },
    ]),
  );
  const each = (args: string, f: (m: Minor, name: string) => void) =>
    args
      .trim()
      .split(/\s+/)
      .forEach((n) => f(minors.get(n)!, n));
  node.on('cat /proc/drbd', () => {
    if (!loaded) return { code: 1, stderr: 'cat: /proc/drbd: No such file or directory' };
    const lines = [
      'version: 8.3.12 (api:88/proto:86-96)',
      'GIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03',
    ];
    for (const r of plan.resources) {
      const m = minors.get(r.name)!;
      if (!m.attached) continue;
      const ro = m.cs === 'Connected' ? 'Secondary/Secondary' : 'Secondary/Unknown';
      lines.push(
        ` ${r.minor}: cs:${m.cs} ro:${ro} ds:${m.ds.join('/')} ${m.cs === 'Connected' ? 'C r-----' : '  r----s'}`,
        '    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:0',
      );
    }
    return lines.join('\n') + '\n';
  });
  node.on(/^drbdadm dump-md (\S+) >\/dev\/null 2>&1$/, (_c, m) => ({ code: minors.get(m[1])!.md ? 0 : 255 }));
  node.on(/^drbdadm create-md (.+)$/, (_c, m) => {
    each(m[1], (x) => (x.md = true));
    return 'success';
  });
  node.on('modprobe drbd', () => {
    loaded = true;
    return '';
  });
  node.on(/^drbdadm attach (.+)$/, (_c, m) => {
    let err = '';
    each(m[1], (x, n) => {
      if (x.attached) err = `${n}: Failure: (124) Device is attached to a disk (use detach first)`;
      Object.assign(x, { attached: true, cs: 'StandAlone', ds: ['Inconsistent', 'DUnknown'] });
    });
    return err ? { code: 10, stderr: err } : '';
  });
  node.on(/^drbdadm connect (.+)$/, (_c, m) => {
    each(m[1], (x) => Object.assign(x, { cs: 'Connected', ds: ['Inconsistent', 'Inconsistent'] }));
    return '';
  });
  node.on(/^drbdadm -- --clear-bitmap new-current-uuid (.+)$/, (_c, m) => {
    each(m[1], (x) => (x.ds = ['UpToDate', 'UpToDate']));
    return '';
  });
  return { node, minors };
}

describe('drbd-config first start', () => {
  it('create-md, attach, connect on both nodes, new-current-uuid on node 1: every step verified, nothing run twice', async () => {
    const a = drbdNode(p, 0);
    const b = drbdNode(p, 1);
    const ctxA = fakeContext(p, a.node, b.node);
    const ctxB = fakeContext(p, b.node, a.node);

    expect(await task('drbd-config.create-md').done!(ctxA)).toBe(false);
    a.minors.get('r1')!.md = true; // metadata left from an interrupted run: only r0 and r2 are created
    await runTask(task('drbd-config.create-md'), ctxA);
    expect(a.node.commands).toContain('drbdadm create-md r0 r2');
    await runTask(task('drbd-config.create-md'), ctxB);
    expect(b.node.commands).toContain('drbdadm create-md r0 r1 r2');
    expect(await task('drbd-config.create-md').done!(ctxA)).toBe(true);
    await expect(task('drbd-config.create-md').verify!(ctxB)).resolves.toMatchObject({
      summary: 'metadata present: r0, r1, r2',
    });

    for (const ctx of [ctxA, ctxB]) await runTask(task('drbd-config.attach'), ctx);
    expect((await task('drbd-config.attach').verify!(ctxA)).summary).toBe(
      '0: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown; 1: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown; 2: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown',
    );
    await runTask(task('drbd-config.attach'), ctxA); // safe: re-run attaches nothing
    expect(a.node.commands.filter((c) => c.startsWith('drbdadm attach'))).toEqual(['drbdadm attach r0 r1 r2']);

    await expect(task('drbd-config.connect').verify!(ctxA)).rejects.toThrow(
      'expected cs:Connected for every resource; saw r0 0: cs:StandAlone',
    );
    for (const ctx of [ctxA, ctxB]) await runTask(task('drbd-config.connect'), ctx);
    await task('drbd-config.connect').verify!(ctxA);

    const ncu = task('drbd-config.new-current-uuid');
    expect(ncu.on).toBe('node1');
    expect(await ncu.done!(ctxA)).toBe(false);
    await runTask(ncu, ctxA);
    // the peer sees UpToDate/UpToDate through DRBD
    for (const m of b.minors.values()) m.ds = ['UpToDate', 'UpToDate'];
    expect((await ncu.verify!(ctxA)).summary).toContain('0: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate');
    expect(await ncu.done!(ctxA)).toBe(true);
    await runTask(ncu, ctxA);
    expect(a.node.commands.filter((c) => c.includes('new-current-uuid'))).toEqual([
      'drbdadm -- --clear-bitmap new-current-uuid r0 r1 r2',
    ]);
  });

  it('refuses new-current-uuid on resources that are not connected', async () => {
    const a = drbdNode(p, 0);
    a.node.on('modprobe drbd', '');
    await expect(task('drbd-config.new-current-uuid').run!(fakeContext(p, a.node, a.node))).rejects.toMatchObject({
      message: 'an-node01: 0: absent; 1: absent; 2: absent',
      hint: expect.stringContaining('a new current UUID is only issued on connected resources'),
    });
  });

  it('verifies the dump, and the stop with chkconfig and the init script', async () => {
    const n = new FakeNode(p.nodes[0]);
    n.on('drbdadm dump', { code: 1, stderr: 'drbd.d/r1.res:9: Parse error' });
    await expect(task('drbd-config.files').verify!(fakeContext(p, n, n))).rejects.toThrow('Parse error');
    const { readFileSync } = await import('node:fs');
    n.on('drbdadm dump', readFileSync('test/fixtures/tutorial/outputs/drbdadm-dump.txt', 'utf8'));
    expect((await task('drbd-config.files').verify!(fakeContext(p, n, n))).summary).toBe(
      'drbdadm dump: r0, r1, r2 parsed',
    );
    n.on(
      'drbdadm dump',
      readFileSync('test/fixtures/tutorial/outputs/drbdadm-dump.txt', 'utf8').replace(
        '10.10.0.2:7790',
        '10.20.0.2:7790',
      ),
    );
    await expect(task('drbd-config.files').verify!(fakeContext(p, n, n))).rejects.toThrow(
      'dump lacks: address ipv4 10.10.0.2:7790;',
    );
    // a node whose `uname -n` is in no `on` section: drbdadm ignores the resource there
    n.on(
      'drbdadm dump',
      readFileSync('test/fixtures/tutorial/outputs/drbdadm-dump.txt', 'utf8').replace(
        '# resource r1 on an-node01.alteeve.ca: not ignored, not stacked',
        '# resource r1 on an-node01.alteeve.ca: ignored, not stacked',
      ),
    );
    await expect(task('drbd-config.files').verify!(fakeContext(p, n, n))).rejects.toThrow(
      'dump lacks: # resource r1 on an-node01.alteeve.ca: not ignored, not stacked',
    );

    expect(task('drbd-config.stop').commands!(p, p.nodes[0])).toEqual([
      '/etc/init.d/drbd stop',
      'chkconfig drbd off',
      'chkconfig --list drbd',
    ]);
    n.on('chkconfig --list drbd', 'drbd           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n');
    n.on('/etc/init.d/drbd status', readFileSync('test/fixtures/tutorial/outputs/drbd-status.txt', 'utf8'));
    await expect(task('drbd-config.stop').verify!(fakeContext(p, n, n))).rejects.toThrow(
      'expected drbd stopped (module not loaded)',
    );
    n.on('/etc/init.d/drbd status', { code: 3, stdout: 'drbd not loaded\n' });
    expect((await task('drbd-config.stop').verify!(fakeContext(p, n, n))).summary).toBe('drbd stopped, off at boot');
  });
});

describe('drbd-install', () => {
  const pk = drbdInstall.tasks[0];
  it("elrepo: the tutorial's commands, verified with rpm -q", async () => {
    expect(installCommands(p)).toEqual([
      'rpm --import http://elrepo.org/RPM-GPG-KEY-elrepo.org',
      'rpm -q elrepo-release >/dev/null 2>&1 || rpm -Uvh http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm',
      'yum install -y drbd83-utils kmod-drbd83',
    ]);
    const n = new FakeNode(p.nodes[0]).on(/^rpm |^yum /, '');
    await runTask(pk, fakeContext(p, n, n));
    expect(n.commands).toEqual(installCommands(p));
    n.on('rpm -q drbd83-utils kmod-drbd83', {
      code: 1,
      stdout: 'drbd83-utils-8.3.12-1.el6.elrepo.x86_64\npackage kmod-drbd83 is not installed\n',
    });
    await expect(pk.verify!(fakeContext(p, n, n))).rejects.toThrow('not installed: kmod-drbd83');
    n.on(
      'rpm -q drbd83-utils kmod-drbd83',
      'drbd83-utils-8.3.12-1.el6.elrepo.x86_64\nkmod-drbd83-8.3.12-1.el6.elrepo.x86_64\n',
    );
    expect((await pk.verify!(fakeContext(p, n, n))).summary).toBe(
      'drbd83-utils-8.3.12-1.el6.elrepo.x86_64, kmod-drbd83-8.3.12-1.el6.elrepo.x86_64',
    );
  });

  it('linbit: asks for the URL hash when the answers lack it and writes the repo file', async () => {
    const q = tutorialPlan();
    q.storage.drbd.source = 'linbit';
    const n = new FakeNode(q.nodes[0]).on(/^yum /, '');
    const ctx = fakeContext(q, n, n, { answers: { 'LINBIT URL hash': 'abcdefghijklmnopqrstuvwxyz0123456789ABCD' } });
    await runTask(pk, ctx);
    expect(n.files.get('/etc/yum.repos.d/linbit.repo')).toBe(
      '[drbd-8]\nname=DRBD 8\nbaseurl=http://packages.linbit.com/abcdefghijklmnopqrstuvwxyz0123456789ABCD/rhel6/x86_64\ngpgcheck=0\n',
    );
    expect(n.commands).toEqual(['yum install -y drbd kmod-drbd']);
  });

  it('source: the build commands, and the fence-peer handler', async () => {
    const q = tutorialPlan();
    q.storage.drbd.source = 'source';
    expect(installCommands(q)).toContain('cd /usr/src/drbd-8.3.15 && make install');
    expect(installCommands(q).at(-1)).toBe('chkconfig drbd off');
    const fp = drbdInstall.tasks[1];
    // the tool's default: rhcs_fence (node 1 survives a storage network loss)
    const r = tutorialPlan();
    r.storage.drbd.fenceHandler = 'rhcs_fence';
    r.storage.drbd.fencePeer = '/sbin/rhcs_fence';
    expect(fp.commands!(r, r.nodes[0])).toEqual([
      'yum install -y perl',
      'wget -c https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence -O /sbin/rhcs_fence',
      'chmod 755 /sbin/rhcs_fence',
      'ls -lah /sbin/rhcs_fence',
      'perl -c /sbin/rhcs_fence',
    ]);
    expect(fenceHandlerUrl(r)).toBe('https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence');
    // the tutorial's handler, kept as an answer (the example names /sbin/obliterate-peer.sh)
    const t = tutorialPlan();
    expect(t.storage.drbd.fenceHandler).toBe('obliterate-peer');
    expect(fp.commands!(t, t.nodes[0])).toEqual([
      'wget -c https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh -O /sbin/obliterate-peer.sh',
      'chmod a+x /sbin/obliterate-peer.sh',
      'ls -lah /sbin/obliterate-peer.sh',
      'bash -n /sbin/obliterate-peer.sh',
    ]);
    expect(fp.expect!(t, t.nodes[0]).join('\n')).toMatch(/both nodes can go down \("simultaneous fencing"/);
    expect(fp.expect!(r, r.nodes[0]).join('\n')).toMatch(/node 1 fences node 2 and stays up/);
    const n = new FakeNode(t.nodes[0]).on(/^test -s/, { code: 1 });
    await expect(fp.verify!(fakeContext(t, n, n))).rejects.toThrow(
      'expected /sbin/obliterate-peer.sh present and executable',
    );
    // an executable HTML error page saved by the download is not a fence handler (review N4)
    n.on(/^test -s/, '-rwxr-xr-x 1 root root 2.1K May  4  2011 /sbin/obliterate-peer.sh\n');
    n.files.set('/sbin/obliterate-peer.sh', '<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n');
    await expect(fp.verify!(fakeContext(t, n, n))).rejects.toThrow(/is the obliterate-peer handler/);
    n.files.set('/sbin/obliterate-peer.sh', '#!/bin/bash\nfence_node -v $REMOTE && exit 7\n');
    n.on(/^bash -n/, { code: 2, stderr: 'syntax error' });
    await expect(fp.verify!(fakeContext(t, n, n))).rejects.toThrow(/bash -n \/sbin\/obliterate-peer.sh` passes/);
    n.on(/^bash -n/, '');
    expect((await fp.verify!(fakeContext(t, n, n))).summary).toContain('/sbin/obliterate-peer.sh');
  });
});

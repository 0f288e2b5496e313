/**
 * rgmanager for storage (tutorial 2812-3222, issue 8): the init script, autostart of the storage
 * services when rgmanager starts with quorum, the drbd → clvmd → gfs2 → libvirtd tree and its reverse
 * stop, clustat's tables, clusvcadm -d / -e, a failing resource, and disabled vs stopped on rejoin.
 */
import { describe, expect, it } from 'vitest';
import { calls, failing, flush, pass, run, syslog } from './fakes.js';
import { pair } from './fake-virsh.js';
import { bootsBack, tutorial } from '../helpers.js';
import { rgmanager } from '../../../src/lab/cluster/rgmanager/model.js';

/** A clustat block at real widths (clustat.c, 80 columns, not a tty). */
function block(rows: string[], services: string[] | null): string {
  let s =
    ' Member Name                             ID   Status\n ------ ----                             ---- ------\n';
  s += rows.join('\n') + '\n\n';
  if (services) {
    s += ' Service Name                   Owner (Last)                   State         \n';
    s += ' ------- ----                   ----- ------                   -----         \n';
    s += services.join('\n') + '\n';
  }
  return s;
}
const m = (name: string, id: number, st: string) => ` ${name.padEnd(40)} ${String(id).padStart(4)} ${st}`;
const sv = (id: string, owner: string, st: string) => ` ${id.padEnd(30)} ${owner.padEnd(30)} ${st.padEnd(14)}`;
const N1 = 'an-node01.alteeve.ca';
const N2 = 'an-node02.alteeve.ca';

/** clustat output without its first line (the date). */
function body(out: string): string {
  return out.split('\n').slice(1).join('\n');
}

/** Whitespace-insensitive equality with tutorial lines [from, to] (their copy lost blank lines and spaces). */
function likeTutorial(out: string, from: number, to: number): void {
  if (!tutorial) return;
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
  const want = tutorial
    .slice(from - 1, to)
    .map((l, i) =>
      i === to - from
        ? l.replace(
            /(started|stopped|disabled|failed|Online, rgmanager|Online, Local, rgmanager|Online, Local|Online|Offline)\S.*$/,
            '$1',
          )
        : l,
    );
  const got = out.split('\n').filter((l) => l.trim());
  expect(got.slice(1).map(norm)).toEqual(want.slice(1).map(norm));
  expect(got[0]).toMatch(/^Cluster Status for an-cluster-A @ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
}

describe('rgmanager for storage (tutorial 2812-3222)', () => {
  it('clustat before rgmanager runs shows the members only (3100-3105); without cman it cannot connect', async () => {
    const { n1, n2 } = await pair();
    const r = await run(n1, 'clustat');
    expect(r.code).toBe(0);
    expect(body(r.out)).toBe(
      'Member Status: Quorate\n\n' + block([m(N1, 1, 'Online, Local'), m(N2, 2, 'Online')], null),
    );
    likeTutorial(r.out, 3100, 3105);
    await run(n2, '/etc/init.d/cman stop');
    expect(await run(n2, 'clustat')).toEqual({
      out: 'Could not connect to CMAN: No such file or directory\n',
      code: 1,
    });
    expect(await run(n2, '/etc/init.d/rgmanager start')).toEqual({
      out: 'Starting Cluster Service Manager:                          [FAILED]\n',
      code: 1,
    });
  });

  it('rgmanager start on both starts each storage service in order drbd → clvmd → gfs2 → libvirtd (3109-3122)', async () => {
    const { w, n1, n2 } = await pair();
    expect(await run(n1, 'chkconfig rgmanager off; chkconfig --list rgmanager')).toEqual({
      out: 'rgmanager      \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
      code: 0,
    });
    for (const n of [n1, n2])
      expect(await run(n, '/etc/init.d/rgmanager start')).toEqual({
        out: 'Starting Cluster Service Manager:                          [  OK  ]\n',
        code: 0,
      });
    expect((await run(n1, '/etc/init.d/rgmanager status')).out).toMatch(
      /^rgmanager \(pid {2}\d+\) is running\.\.\.\n$/,
    );
    await pass(w, 5000);
    expect(calls.filter((c) => c.startsWith('an-node01'))).toEqual([
      'an-node01 drbd start',
      'an-node01 clvmd start',
      'an-node01 gfs2 start',
      'an-node01 libvirtd start',
    ]);
    expect(calls.filter((c) => c.startsWith('an-node02'))).toEqual([
      'an-node02 drbd start',
      'an-node02 clvmd start',
      'an-node02 gfs2 start',
      'an-node02 libvirtd start',
    ]);
    for (const s of ['drbd', 'clvmd', 'gfs2', 'libvirtd']) expect(n2.isRunning(s)).toBe(true);
    const r = await run(n1, 'clustat');
    expect(body(r.out)).toBe(
      'Member Status: Quorate\n\n' +
        block(
          [m(N1, 1, 'Online, Local, rgmanager'), m(N2, 2, 'Online, rgmanager')],
          [sv('service:storage_an01', N1, 'started'), sv('service:storage_an02', N2, 'started')],
        ),
    );
    likeTutorial(r.out, 3110, 3119);
    expect(syslog(n1)).toEqual([
      'Resource Group Manager Starting',
      'Starting stopped service service:storage_an01',
      'Service service:storage_an01 started',
    ]);
    expect(syslog(n2)).toEqual([
      'Resource Group Manager Starting',
      'Starting stopped service service:storage_an02',
      'Service service:storage_an02 started',
    ]);
  });

  // Source: rgmanager 3.0.12 clustat.c _txt_rg_state_v() (-l) and txt_rg_states() (-s exit codes), RG_STATE_* 110-120.
  it('clustat -l prints the long service format; -s exits with the state number, 255 for no such service (review L7)', async () => {
    const { w, n1, n2 } = await pair();
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    const at = (await run(n1, 'clustat')).out.split('\n')[0].replace(/^.* @ /, '');
    const r = await run(n1, 'clustat -l');
    expect(r.code).toBe(0);
    const tail = r.out.slice(r.out.indexOf('Service Information'));
    const long = (id: string, owner: string) =>
      `Service Name      : ${id}\n  Current State   : started (112)\n  Flags           : none (0)\n` +
      `  Owner           : ${owner}\n  Last Owner      : none\n  Last Transition : `;
    expect(tail.startsWith('Service Information\n------- -----------\n\n' + long('service:storage_an01', N1))).toBe(
      true,
    );
    expect(tail).toContain(long('service:storage_an02', N2));
    expect(tail).toMatch(/Last Transition : \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n\n$/);
    expect(at).toMatch(/\d{4}$/);
    expect(await run(n1, 'clustat -s storage_an01')).toEqual({
      out:
        ' Service Name                   Owner (Last)                   State         \n' +
        ' ------- ----                   ----- ------                   -----         \n' +
        sv('service:storage_an01', N1, 'started') +
        '\n',
      code: 0,
    });
    await run(n1, 'clusvcadm -d storage_an01');
    expect((await run(n1, 'clustat -s storage_an01')).code).toBe(119);
    expect(await run(n1, 'clustat -s nosuch')).toEqual({ out: '', code: 255 });
  });

  it('clusvcadm -d stops the tree in reverse; -e -m starts it again (3150-3214)', async () => {
    const { w, n1, n2 } = await pair();
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    calls.length = 0;
    expect(await run(n1, 'clusvcadm -d storage_an01')).toEqual({
      out: 'Local machine disabling service:storage_an01...Success\n',
      code: 0,
    });
    expect(calls).toEqual([
      'an-node01 libvirtd stop',
      'an-node01 gfs2 stop',
      'an-node01 clvmd stop',
      'an-node01 drbd stop',
    ]);
    let r = await run(n1, 'clustat');
    expect(body(r.out)).toContain(
      sv('service:storage_an01', `(${N1})`, 'disabled') + '\n' + sv('service:storage_an02', N2, 'started') + '\n',
    );
    likeTutorial(r.out, 3166, 3175);
    expect(await run(n1, 'clusvcadm -d storage_an02')).toEqual({
      out: 'Local machine disabling service:storage_an02...Success\n',
      code: 0,
    });
    expect(n2.isRunning('drbd')).toBe(false);
    r = await run(n1, 'clustat');
    likeTutorial(r.out, 3184, 3193);
    expect(body(r.out)).toContain(
      sv('service:storage_an01', `(${N1})`, 'disabled') +
        '\n' +
        sv('service:storage_an02', `(${N2})`, 'disabled') +
        '\n',
    );
    // NOTE: a disabled service stays down: rgmanager does not start it on its own.
    await pass(w, 5000);
    expect(n1.isRunning('drbd')).toBe(false);
    expect(await run(n1, 'clusvcadm -e storage_an01 -m an-node01.alteeve.ca')).toEqual({
      out: 'Member an-node01.alteeve.ca trying to enable service:storage_an01...Success\nservice:storage_an01 is now running on an-node01.alteeve.ca\n',
      code: 0,
    });
    expect(await run(n2, 'clusvcadm -e storage_an02 -m an-node02.alteeve.ca')).toEqual({
      out: 'Member an-node02.alteeve.ca trying to enable service:storage_an02...Success\nservice:storage_an02 is now running on an-node02.alteeve.ca\n',
      code: 0,
    });
    r = await run(n1, 'clustat');
    likeTutorial(r.out, 3205, 3214);
    expect(syslog(n1).slice(3)).toEqual([
      'Stopping service service:storage_an01',
      'Service service:storage_an01 is disabled',
      'Starting disabled service service:storage_an01',
      'Service service:storage_an01 started',
    ]);
    expect(syslog(n2).slice(3)).toEqual([
      'Stopping service service:storage_an02',
      'Service service:storage_an02 is disabled',
      'Starting disabled service service:storage_an02',
      'Service service:storage_an02 started',
    ]);
    // A restricted domain: the service cannot be enabled on the other node.
    await run(n1, 'clusvcadm -d storage_an01');
    expect(await run(n2, 'clusvcadm -e storage_an01')).toEqual({
      out: 'Local machine trying to enable service:storage_an01...Service not runnable\n',
      code: 241,
    });
    expect(await run(n1, 'clusvcadm -e nosuch')).toEqual({
      out: 'Local machine trying to enable service:nosuch...Service does not exist\n',
      code: 252,
    });
  });

  it('a failing resource fails the service and stops its tree; -d clears it, -e starts it again', async () => {
    const { w, n1, n2 } = await pair();
    failing.add('an-node01/clvmd');
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    expect(calls.filter((c) => c.startsWith('an-node01'))).toEqual([
      'an-node01 drbd start',
      'an-node01 clvmd start',
      'an-node01 libvirtd stop',
      'an-node01 gfs2 stop',
      'an-node01 clvmd stop',
      'an-node01 drbd stop',
    ]);
    expect(n1.isRunning('drbd')).toBe(false);
    expect(syslog(n1).slice(1)).toEqual([
      'Starting stopped service service:storage_an01',
      '[script] script:clvmd: start of /etc/init.d/clvmd failed (returned 1)',
      'start on script "clvmd" returned 1 (generic error)',
      '#68: Failed to start service:storage_an01; return value: 1',
      'Stopping service service:storage_an01',
      'Service service:storage_an01 is failed',
    ]);
    expect((await run(n2, 'clustat')).out).toContain(sv('service:storage_an01', `(${N1})`, 'failed') + '\n');
    // NOTE: a failed service is not retried by itself.
    await pass(w, 10_000);
    expect(n1.isRunning('drbd')).toBe(false);
    expect(await run(n1, 'clusvcadm -e storage_an01')).toEqual({
      out: 'Local machine trying to enable service:storage_an01...Failure\n',
      code: 255,
    });
    failing.clear();
    expect((await run(n1, 'clusvcadm -d storage_an01')).code).toBe(0);
    expect(await run(n1, 'clusvcadm -e storage_an01')).toEqual({
      out: 'Local machine trying to enable service:storage_an01...Success\nservice:storage_an01 is now running on an-node01.alteeve.ca\n',
      code: 0,
    });
    expect(n1.isRunning('libvirtd')).toBe(true);
  });

  it('a resource found dead by the status poll restarts the service in place (script status every 30 s)', async () => {
    const { w, n1, n2 } = await pair();
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    const before = syslog(n1).length;
    await run(n1, '/etc/init.d/gfs2 stop');
    calls.length = 0;
    await pass(w, 31_000);
    expect(syslog(n1).slice(before)).toEqual([
      '[script] script:gfs2: status of /etc/init.d/gfs2 failed (returned 3)',
      'status on script "gfs2" returned 1 (generic error)',
      'Stopping service service:storage_an01',
      'Service service:storage_an01 is recovering',
      'Recovering failed service service:storage_an01',
      'Service service:storage_an01 started',
    ]);
    expect(calls).toEqual([
      'an-node01 libvirtd stop',
      'an-node01 gfs2 stop',
      'an-node01 clvmd stop',
      'an-node01 drbd stop',
      'an-node01 drbd start',
      'an-node01 clvmd start',
      'an-node01 gfs2 start',
      'an-node01 libvirtd start',
    ]);
    expect(n1.isRunning('gfs2')).toBe(true);
  });

  it('a stopped service restarts when its node rejoins, a disabled one does not (3193, 4283)', async () => {
    const { w, n1, n2 } = await pair();
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    expect(await run(n1, '/etc/init.d/rgmanager stop')).toEqual({
      out: 'Stopping Cluster Service Manager:                          [  OK  ]\n',
      code: 0,
    });
    expect(n1.isRunning('drbd')).toBe(false);
    await run(n1, '/etc/init.d/cman stop');
    await pass(w, 3000);
    let r = await run(n2, 'clustat');
    expect(body(r.out)).toBe(
      'Member Status: Quorate\n\n' +
        block(
          [m(N1, 1, 'Offline'), m(N2, 2, 'Online, Local, rgmanager')],
          [sv('service:storage_an01', `(${N1})`, 'stopped'), sv('service:storage_an02', N2, 'started')],
        ),
    );
    expect(syslog(n2)).toContain('Member 1 shutting down');
    await run(n1, '/etc/init.d/cman start');
    await run(n1, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    expect(n1.isRunning('libvirtd')).toBe(true);
    expect(rgmanager(w)!.status('service:storage_an01')).toMatchObject({ state: 'started', owner: 'an-node01' });
    // Disabled before the withdrawal: it stays disabled when the node comes back.
    await run(n1, 'clusvcadm -d storage_an01');
    await run(n1, '/etc/init.d/rgmanager stop');
    await run(n1, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    expect(n1.isRunning('drbd')).toBe(false);
    r = await run(n1, 'clustat');
    expect(r.out).toContain(sv('service:storage_an01', `(${N1})`, 'disabled'));
  });

  it('chkconfig rgmanager on: it starts at boot with cman and the storage comes up; state is rebuilt on a cold start', async () => {
    const { w, n1, n2 } = await pair();
    for (const n of [n1, n2]) {
      await run(n, 'chkconfig cman on && chkconfig rgmanager on');
      expect((await run(n, 'chkconfig --list rgmanager')).out).toBe(
        'rgmanager      \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n',
      );
      await run(n, '/etc/init.d/rgmanager start');
    }
    await pass(w, 5000);
    await run(n1, 'clusvcadm -d storage_an01');
    for (const n of [n1, n2]) {
      await run(n, '/etc/init.d/rgmanager stop');
      await run(n, '/etc/init.d/cman stop');
      w.fault({ kind: 'power', node: n.name, on: false });
    }
    for (const n of [n1, n2]) w.fault({ kind: 'power', node: n.name, on: true });
    for (const n of [n1, n2]) await bootsBack(w, n);
    await flush(w);
    expect(n1.isRunning('rgmanager')).toBe(true);
    await pass(w, 5000);
    // NOTE: quorum was gained afresh: autostart="1" starts storage_an01 although it was disabled before.
    expect((await run(n1, 'clustat')).out).toContain(sv('service:storage_an01', N1, 'started'));
    expect(n2.isRunning('libvirtd')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import type { DriveContext, Task } from '../../src/engine/types.js';
import { AnvilError, CommandFailed, VerifyFailed } from '../../src/errors.js';
import { fakeContext, runTask } from '../helpers/fake-node.js';
import { fakeCluster, type StdinFakeNode } from '../helpers/fake-cman-cluster.js';
import { storageServices } from '../../steps/storage-services.js';
import { CLUSTER_CONF, configVersionOf, renderClusterConf } from '../../steps/cluster-conf.js';
import { useVirtualClock } from '../helpers/virtual-clock.js';

useVirtualClock();

const ENV = { ILO_PW: 'Il0-Pa55w0rd', RICCI_PW: 'R1cci-S3cret!' };
const task = (id: string): Task => storageServices.tasks.find((t) => t.id === `storage-services.${id}`)!;

async function run(p: Plan, a: StdinFakeNode, b: StdinFakeNode, t: Task) {
  const ctxs = t.on === 'node1' ? [fakeContext(p, a, b)] : [fakeContext(p, a, b), fakeContext(p, b, a)];
  await Promise.all(ctxs.map((c) => runTask(t, c)));
  return Promise.all(ctxs.map((c) => t.verify!(c)));
}

/** A pair after the foundation step: same v7 file, cman running on both, ricci passwords set. */
function afterFoundation(p: Plan) {
  const c = fakeCluster(p);
  for (const n of [c.a, c.b]) {
    n.files.set(CLUSTER_CONF, renderClusterConf(p, 'foundation'));
    c.model.running.get(n.plan.name)!.add('cman').add('ricci').add('modclusterd');
    c.model.ricci.set(n.plan.name, p.answers.ricci.password!);
  }
  c.model.version = p.configVersion.foundation;
  return c;
}

describe('storage-services', () => {
  for (const [name, file, env] of [
    ['tutorial', 'examples/tutorial.anvil.yaml', {}],
    ['other', 'test/fixtures/other.anvil.yaml', ENV],
  ] as const) {
    it(`${name}: writes v10, validates, pushes with cman_tool (password on stdin) and starts the storage services`, async () => {
      const p = derivePlan(loadAnswers(file, env));
      const { a, b, model } = afterFoundation(p);
      await run(p, a, b, task('write-conf'));
      expect(configVersionOf(a.files.get(CLUSTER_CONF)!)).toBe(10);
      expect(a.files.get(`${CLUSTER_CONF}.orig`)).toBe(renderClusterConf(p, 'foundation'));
      await run(p, a, b, task('validate'));
      const [pushed] = await run(p, a, b, task('push'));
      expect(pushed.summary).toBe('both nodes run cluster.conf config_version 10');
      expect(model.version).toBe(10);
      const pw = p.answers.ricci.password!;
      expect(a.stdins.find((s) => s.cmd === 'cman_tool version -r')?.stdin).toBe(`${pw}\n${pw}\n`);
      expect([...a.commands, ...b.commands].some((c) => c.includes(pw))).toBe(false);

      await run(p, a, b, task('rgmanager-off'));
      const ev = await run(p, a, b, task('start-rgmanager'));
      expect(ev[0].summary).toBe(
        `both members online with rgmanager; ${p.nodes.map((n) => `storage_${n.label}`).join(', ')} started`,
      );
      expect(model.rg.get(`service:storage_${p.nodes[1].label}`)).toEqual({ state: 'started', owner: p.nodes[1].fqdn });
      expect(model.boot.get(p.nodes[0].name)!.has('rgmanager')).toBe(false);
    });
  }

  it('does not push again when the configuration is already active', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b } = afterFoundation(p);
    for (const id of ['write-conf', 'push', 'write-conf', 'push']) await run(p, a, b, task(id));
    expect(a.commands.filter((c) => c === 'cman_tool version -r')).toHaveLength(1);
    expect(configVersionOf(a.files.get(CLUSTER_CONF)!)).toBe(10);
  });

  it('reports a wrong ricci password as a failed command without the password in it', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterFoundation(p);
    model.ricci.set('an-node02', 'something-else');
    await run(p, a, b, task('write-conf'));
    const err = await runTask(task('push'), fakeContext(p, a, b)).catch((e) => e);
    expect(err).toBeInstanceOf(CommandFailed);
    expect(err.message).toContain('ricci daemon on an-node02.alteeve.ca');
    expect(err.message).not.toContain('secret');
    await expect(task('push').verify!(fakeContext(p, a, b))).rejects.toThrow(VerifyFailed);
  });

  it('refuses to push a file whose version is not above the running one', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterFoundation(p);
    a.files.set(CLUSTER_CONF, renderClusterConf(p, 'storage', 7));
    model.version = 7;
    const err = await runTask({ ...task('push'), files: undefined }, fakeContext(p, a, b)).catch((e) => e);
    expect(err).toBeInstanceOf(AnvilError);
    expect(err.message).toMatch(/config_version 7, not greater than the running 7/);
    expect(a.commands).not.toContain('cman_tool version -r');
  });

  it('stops waiting when a storage service fails, pointing at split-brain', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterFoundation(p);
    for (const id of ['write-conf', 'push']) await run(p, a, b, task(id));
    model.rg.set('service:storage_an01', { state: 'failed', last: 'an-node01.alteeve.ca' });
    await expect(runTask(task('start-rgmanager'), fakeContext(p, a, b))).rejects.toThrow(/split-brain/);
    await expect(task('start-rgmanager').verify!(fakeContext(p, a, b))).rejects.toThrow(
      /service:storage_an01: failed on an-node01.alteeve.ca/,
    );
  });

  it('shows the expected clustat like the tutorial', () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const out = task('start-rgmanager').expectedOutput!(p, p.nodes[0]);
    expect(out).toContain(' an-node01.alteeve.ca                       1 Online, Local, rgmanager');
    expect(out).toContain(' service:storage_an02           an-node02.alteeve.ca          started');
    expect(task('push').expectedOutput!(p, p.nodes[0])).toBe('6.2.0 config 10');
  });

  it('the stop/start test is refused under running guests, naming what runs where (--retest)', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterFoundation(p);
    const unsafe = task('stop-start').gate!.unsafe!;
    expect(await unsafe(fakeContext(p, a, b))).toBeUndefined();
    model.guests.get('an-node01')!.add('vm01-dev');
    model.guests.get('an-node02')!.add('vm03-db');
    expect(await unsafe(fakeContext(p, a, b))).toMatch(
      /guests run on them \(an-node01: vm01-dev; an-node02: vm03-db\); disable them first/,
    );
  });

  it('the stop/start drive itself refuses while a guest runs on either node, before stopping anything', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterFoundation(p);
    for (const n of p.nodes) model.running.get(n.name)!.add('rgmanager');
    model.rg.set('service:storage_an01', { state: 'started', owner: p.nodes[0].fqdn });
    model.rg.set('service:storage_an02', { state: 'started', owner: p.nodes[1].fqdn });
    model.rg.set('vm:vm03-db', { state: 'started', owner: p.nodes[1].fqdn });
    const ctx = {
      ...fakeContext(p, a, b),
      lab: false,
      confirmDestructive: async () => true,
    } as unknown as DriveContext;
    const err = await task('stop-start').gate!.drive!(ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(VerifyFailed);
    expect(String((err as Error).message)).toContain('vm:vm03-db on an-node02.alteeve.ca started: disable them first');
    expect([...a.commands, ...b.commands].filter((c) => c.startsWith('clusvcadm'))).toEqual([]);
  });
});

describe('storage-services: libvirt-guests off (review N6)', () => {
  const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
  const t = task('libvirt-guests-off');
  /** The pair after libvirt's install: libvirt-guests on at boot (chkconfig 345) and its lock taken. */
  const installed = () => {
    const c = afterFoundation(p);
    for (const n of [c.a, c.b]) {
      c.model.boot.get(n.plan.name)!.add('libvirt-guests');
      c.model.running.get(n.plan.name)!.add('libvirt-guests');
    }
    return c;
  };

  it('plans chkconfig off and the stop; on the first build turns it off and stops it, and the verify reads chkconfig back', async () => {
    expect(t.commands!(p, p.nodes[0])).toEqual(['chkconfig libvirt-guests off', '/etc/init.d/libvirt-guests stop']);
    const { a, b, model } = installed();
    const ev = await run(p, a, b, t);
    expect(ev.map((e) => e.summary)).toEqual(['libvirt-guests off at boot', 'libvirt-guests off at boot']);
    for (const n of [a, b]) {
      expect(n.commands).toEqual([
        'test -x /etc/init.d/libvirt-guests',
        'chkconfig libvirt-guests off',
        '/etc/init.d/rgmanager status',
        '/etc/init.d/libvirt-guests status',
        '/etc/init.d/libvirt-guests stop',
        'test -x /etc/init.d/libvirt-guests',
        'chkconfig --list libvirt-guests',
      ]);
      expect(model.boot.get(n.plan.name)!.has('libvirt-guests')).toBe(false);
      expect(model.running.get(n.plan.name)!.has('libvirt-guests')).toBe(false);
    }
  });

  it('under a running rgmanager only chkconfig changes: a stop would suspend the guests the cluster runs', async () => {
    const { a, b, model } = installed();
    for (const n of [a, b]) model.running.get(n.plan.name)!.add('rgmanager');
    await run(p, a, b, t);
    for (const n of [a, b]) {
      expect(n.commands.filter((c) => c.startsWith('/etc/init.d/libvirt-guests'))).toEqual([]);
      expect(model.boot.get(n.plan.name)!.has('libvirt-guests')).toBe(false);
      expect(model.running.get(n.plan.name)!.has('libvirt-guests')).toBe(true);
    }
  });

  it('the verify refuses while chkconfig shows it on, naming the runlevels', async () => {
    const { a, b } = installed();
    await expect(t.verify!(fakeContext(p, a, b))).rejects.toThrow(VerifyFailed);
    await expect(t.verify!(fakeContext(p, a, b))).rejects.toThrow(
      /libvirt-guests off in every runlevel.*saw on in runlevels 2,3,4,5/,
    );
  });

  it('without libvirt-guests installed there is nothing to turn off, and the verify says so', async () => {
    const { a, b, model } = installed();
    model.notInstalled.add('libvirt-guests');
    const ev = await run(p, a, b, t);
    expect(ev[0].summary).toBe('libvirt-guests: not installed');
    expect(a.commands.filter((c) => c.includes('chkconfig libvirt-guests'))).toEqual([]);
  });
});

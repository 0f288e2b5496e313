import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import type { Task } from '../../src/engine/types.js';
import { fakeContext, runTask } from '../helpers/fake-node.js';
import { fakeCluster, type StdinFakeNode } from '../helpers/fake-cman-cluster.js';
import { vmServices, enableCommands } from '../../steps/vm-services.js';
import { CLUSTER_CONF, configVersionOf, renderClusterConf } from '../../steps/cluster-conf.js';

const ENV = { ILO_PW: 'Il0-Pa55w0rd', RICCI_PW: 'R1cci-S3cret!' };
const task = (id: string): Task => vmServices.tasks.find((t) => t.id === `vm-services.${id}`)!;

async function run(p: Plan, a: StdinFakeNode, b: StdinFakeNode, t: Task) {
  const ctxs = t.on === 'node1' ? [fakeContext(p, a, b)] : [fakeContext(p, a, b), fakeContext(p, b, a)];
  if (t.on === 'both') await Promise.all(ctxs.map((c) => runTask(t, c)));
  else for (const c of ctxs) await runTask(t, c);
  return Promise.all(ctxs.map((c) => t.verify!(c)));
}

/** A pair after the storage step: v10 everywhere, cman + rgmanager running, storage services started. */
function afterStorage(p: Plan) {
  const c = fakeCluster(p);
  for (const n of [c.a, c.b]) {
    n.files.set(CLUSTER_CONF, renderClusterConf(p, 'storage'));
    c.model.running.get(n.plan.name)!.add('cman').add('rgmanager').add('ricci');
    c.model.ricci.set(n.plan.name, p.answers.ricci.password!);
    c.model.rg.set(`service:storage_${n.plan.label}`, { state: 'started', owner: n.plan.fqdn });
  }
  c.model.version = 10;
  return c;
}

describe('vm-services', () => {
  it("enables the tutorial's VMs with the tutorial's commands", () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    expect(enableCommands(p, p.nodes[0])).toEqual([
      'clusvcadm -e vm:vm0001-dev -m an-node01.alteeve.ca',
      'clusvcadm -e vm:vm0002-web -m an-node01.alteeve.ca',
    ]);
    expect(enableCommands(p, p.nodes[1])).toEqual([
      'clusvcadm -e vm:vm0003-db -m an-node02.alteeve.ca',
      'clusvcadm -e vm:vm0004-ms -m an-node02.alteeve.ca',
    ]);
    expect(task('autostart').commands!(p, p.nodes[0])).toEqual(['chkconfig cman on && chkconfig rgmanager on']);
    expect(vmServices.tasks.map((t) => `${t.id}@${t.on}`)).toEqual([
      'vm-services.write-conf@node1',
      'vm-services.validate@node1',
      'vm-services.push@node1',
      'vm-services.enable@each',
      'vm-services.autostart@both',
    ]);
  });

  for (const [name, file, env] of [
    ['tutorial', 'examples/tutorial.anvil.yaml', {}],
    ['other', 'test/fixtures/other.anvil.yaml', ENV],
  ] as const) {
    it(`${name}: pushes v12, enables every VM on its host, starts the cluster at boot`, async () => {
      const p = derivePlan(loadAnswers(file, env));
      const { a, b, model } = afterStorage(p);
      await run(p, a, b, task('write-conf'));
      expect(configVersionOf(a.files.get(CLUSTER_CONF)!)).toBe(12);
      await run(p, a, b, task('validate'));
      await run(p, a, b, task('push'));
      expect(model.version).toBe(12);
      for (const v of p.vms) expect(model.rg.get(`vm:${v.name}`)?.state).toBe('disabled');

      const ev = await run(p, a, b, task('enable'));
      expect(ev.map((e) => e.details?.vms)).toEqual(p.nodes.map((n) => p.vms.filter((v) => v.host === n).length));
      for (const v of p.vms) expect(model.rg.get(`vm:${v.name}`)).toEqual({ state: 'started', owner: v.host.fqdn });
      for (const [n, x] of [
        [p.nodes[0], a],
        [p.nodes[1], b],
      ] as const)
        expect(x.commands.filter((c) => c.startsWith('clusvcadm'))).toEqual(enableCommands(p, n));

      await run(p, a, b, task('autostart'));
      expect(model.boot.get(p.nodes[1].name)).toEqual(new Set(['cman', 'rgmanager']));

      // Idempotent: nothing is enabled twice.
      const [na, nb] = [a.commands.length, b.commands.length];
      await run(p, a, b, task('enable'));
      expect([...a.commands.slice(na), ...b.commands.slice(nb)].filter((c) => c.startsWith('clusvcadm'))).toEqual([]);
      // NOTE: both nodes' guests were looked at before enabling (tutorial 4062-4093).
      expect(a.commands.filter((c) => c === 'virsh list --all').length).toBeGreaterThan(0);
      expect(b.commands.filter((c) => c === 'virsh list --all').length).toBeGreaterThan(0);
    });
  }

  it('never starts a guest that runs on the peer: takes it over there and migrates it home; refuses a guest running twice', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterStorage(p);
    for (const t of ['write-conf', 'validate', 'push']) await run(p, a, b, task(t));
    // vm0001-dev (home an-node01) was started by hand on an-node02
    model.guests.get('an-node02')!.add('vm0001-dev');
    await run(p, a, b, task('enable'));
    expect(a.commands.filter((c) => c.startsWith('clusvcadm'))).toEqual([
      'clusvcadm -e vm:vm0001-dev -m an-node02.alteeve.ca',
      'clusvcadm -M vm:vm0001-dev -m an-node01.alteeve.ca',
      'clusvcadm -e vm:vm0002-web -m an-node01.alteeve.ca',
    ]);
    expect([...model.guests.get('an-node01')!]).toContain('vm0001-dev');
    expect([...model.guests.get('an-node02')!]).not.toContain('vm0001-dev');

    const c2 = afterStorage(p);
    for (const t of ['write-conf', 'validate', 'push']) await run(p, c2.a, c2.b, task(t));
    c2.model.guests.get('an-node01')!.add('vm0002-web');
    c2.model.guests.get('an-node02')!.add('vm0002-web');
    await expect(run(p, c2.a, c2.b, task('enable'))).rejects.toThrow(
      /vm0002-web runs on both an-node01 and an-node02 at once/,
    );
    expect(c2.a.commands.filter((c) => c.includes('vm0002-web') && c.startsWith('clusvcadm'))).toEqual([]);
  });

  it('disables a failed VM before enabling it, and reports a VM not on its host', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterStorage(p);
    for (const id of ['write-conf', 'push']) await run(p, a, b, task(id));
    model.rg.set('vm:vm0001-dev', { state: 'failed', last: 'an-node01.alteeve.ca' });
    model.rg.set('vm:vm0002-web', { state: 'started', owner: 'an-node02.alteeve.ca' });
    const ctx = fakeContext(p, a, b);
    await runTask(task('enable'), ctx);
    expect(a.commands.filter((c) => c.startsWith('clusvcadm'))).toEqual([
      'clusvcadm -d vm:vm0001-dev',
      'clusvcadm -e vm:vm0001-dev -m an-node01.alteeve.ca',
    ]);
    expect(ctx.logs.join('\n')).toContain('vm:vm0002-web already runs on an-node02.alteeve.ca');
    await expect(task('enable').verify!(ctx)).rejects.toThrow(
      /vm:vm0002-web: started on an-node02.alteeve.ca \(want started on an-node01.alteeve.ca\)/,
    );
  });

  it('fails the boot check while rgmanager is still off at boot', async () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const { a, b, model } = afterStorage(p);
    model.boot.get('an-node01')!.add('cman');
    await expect(task('autostart').verify!(fakeContext(p, a, b))).rejects.toThrow(/rgmanager not on/);
  });
});

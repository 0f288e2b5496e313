import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import type { Prompter, Task } from '../../src/engine/types.js';
import { stepWarnings } from '../../src/engine/types.js';
import { VerifyFailed } from '../../src/errors.js';
import { fakeContext, runTask } from '../helpers/fake-node.js';
import { fakeCluster, type StdinFakeNode } from '../helpers/fake-cman-cluster.js';
import { clusterFoundation, cmanStartWarning } from '../../steps/cluster-foundation.js';
import { CLUSTER_CONF, configVersionOf, renderClusterConf } from '../../steps/cluster-conf.js';
import { useVirtualClock } from '../helpers/virtual-clock.js';

useVirtualClock();

const plan = (): Plan => derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const task = (id: string): Task => clusterFoundation.tasks.find((t) => t.id === `cluster-foundation.${id}`)!;

/** Run a task the way the engine does for its `on`: node 1 only, or both nodes in parallel. */
async function run(p: Plan, a: StdinFakeNode, b: StdinFakeNode, t: Task, prompt?: Prompter) {
  const ctxs = t.on === 'node1' ? [fakeContext(p, a, b)] : [fakeContext(p, a, b), fakeContext(p, b, a)];
  if (prompt) for (const c of ctxs) c.prompt = prompt;
  await Promise.all(ctxs.map((c) => runTask(t, c)));
  return Promise.all(ctxs.map((c) => t.verify!(c)));
}

describe('cluster-foundation', () => {
  it('declares the tutorial order of tasks, the ricci password first (a changed one is set before any push)', () => {
    expect(clusterFoundation.tasks.map((t) => `${t.id}@${t.on}`)).toEqual([
      'cluster-foundation.ricci-password@both',
      'cluster-foundation.write-conf@node1',
      'cluster-foundation.validate@node1',
      'cluster-foundation.push@node1',
      'cluster-foundation.ricci@both',
      'cluster-foundation.modclusterd@both',
      'cluster-foundation.acpid-off@both',
      'cluster-foundation.start-cman@both',
    ]);
    const p = plan();
    expect(task('push').commands!(p, p.nodes[0])).toEqual([
      'rsync -av /etc/cluster/cluster.conf root@an-node02:/etc/cluster/',
    ]);
    expect(task('acpid-off').commands!(p, p.nodes[0])).toEqual(['chkconfig acpid off', '/etc/init.d/acpid stop']);
    expect(task('start-cman').commands!(p, p.nodes[0])).toEqual(['/etc/init.d/cman start']);
    expect(cmanStartWarning(p)).toBe(
      "If you don't start cman on both nodes within 30 seconds, the slower node will be fenced.",
    );
    expect(task('start-cman').expect!(p, p.nodes[0])[0]).toBe(cmanStartWarning(p));
    expect(stepWarnings(clusterFoundation, p).join(' ')).toMatch(/acpid|ACPI/);
    expect(stepWarnings(clusterFoundation, p)).toContain(cmanStartWarning(p));
  });

  it('builds the cluster from nothing: write, validate, copy, ricci, daemons, cman on both', async () => {
    const p = plan();
    const { a, b, model } = fakeCluster(p);
    model.running.get('an-node01')!.add('acpid');
    model.boot.get('an-node01')!.add('acpid');

    const [w] = await run(p, a, b, task('write-conf'));
    expect(w.summary).toContain('config_version 7');
    expect(a.files.get(CLUSTER_CONF)).toBe(renderClusterConf(p, 'foundation', 7));
    expect(a.modes.get(CLUSTER_CONF)).toBe(0o640);
    expect(b.files.has(CLUSTER_CONF)).toBe(false);

    await run(p, a, b, task('validate'));
    await run(p, a, b, task('push'));
    expect(b.files.get(CLUSTER_CONF)).toBe(a.files.get(CLUSTER_CONF));
    expect(a.commands).toContain('rsync -av /etc/cluster/cluster.conf root@an-node02:/etc/cluster/');

    await run(p, a, b, task('ricci-password'));
    expect(model.ricci.get('an-node01')).toBe('secret');
    expect(model.ricci.get('an-node02')).toBe('secret');
    // NOTE: the secret travels on stdin only.
    for (const n of [a, b]) {
      expect(n.commands.some((c) => c.includes('secret'))).toBe(false);
      expect(n.stdins.find((s) => s.cmd === 'passwd --stdin ricci')?.stdin).toBe('secret\n');
    }

    for (const id of ['ricci', 'modclusterd', 'acpid-off']) await run(p, a, b, task(id));
    expect([...model.running.get('an-node01')!].sort()).toEqual(['modclusterd', 'ricci']);
    expect([...model.boot.get('an-node02')!].sort()).toEqual(['modclusterd', 'ricci']);

    const ev = await run(p, a, b, task('start-cman'));
    expect(ev.map((e) => e.summary)).toEqual([
      'an-node01.alteeve.ca is a member of an-cluster-A (config 7, nodes 2)',
      'an-node02.alteeve.ca is a member of an-cluster-A (config 7, nodes 2)',
    ]);

    // A second run changes nothing: no restart, no rewrite, no second rsync-free push.
    const before = a.commands.length;
    for (const t of clusterFoundation.tasks) await run(p, a, b, t);
    const again = a.commands.slice(before);
    expect(again.filter((c) => /start$|cman_tool version -r|rsync/.test(c) && !c.includes('status'))).toEqual([]);
    expect(configVersionOf(a.files.get(CLUSTER_CONF)!)).toBe(7);
  });

  it('asks for an absent ricci password once, as a secret, for both nodes', async () => {
    const p = plan();
    delete p.answers.ricci.password;
    const { a, b, model } = fakeCluster(p);
    const asked: { message: string; opts?: object }[] = [];
    const prompt: Prompter = {
      confirm: async () => true,
      select: async (_m, c) => c[0],
      input: async (message, opts) => (asked.push({ message, opts }), 'typed-pw'),
    };
    await run(p, a, b, task('ricci-password'), prompt);
    expect(asked).toHaveLength(1);
    expect(asked[0].opts).toMatchObject({ secret: true, path: 'ricci.password' });
    expect([model.ricci.get('an-node01'), model.ricci.get('an-node02')]).toEqual(['typed-pw', 'typed-pw']);
  });

  it('fails the validation of a file that does not validate, and a cman that is alone', async () => {
    const p = plan();
    const { a, b, model } = fakeCluster(p);
    a.files.set(CLUSTER_CONF, '<cluster name="x" config_version="7">');
    await expect(task('validate').verify!(fakeContext(p, a, b))).rejects.toThrow(VerifyFailed);
    a.files.set(CLUSTER_CONF, renderClusterConf(p, 'foundation'));
    model.running.get('an-node01')!.add('cman');
    model.version = 7;
    a.on(
      'cman_tool status',
      (await import('node:fs'))
        .readFileSync('test/fixtures/cluster-tools/cman-status-v7.txt', 'utf8')
        .replace('Nodes: 2', 'Nodes: 1'),
    );
    await expect(task('start-cman').verify!(fakeContext(p, a, b))).rejects.toThrow(/Nodes: 1 \(want 2\)/);
  });

  it('takes a missing acpid as disabled, and an acpid left on as a failure', async () => {
    const p = plan();
    const { a, b, model } = fakeCluster(p);
    model.notInstalled.add('acpid');
    await run(p, a, b, task('acpid-off'));
    expect(a.commands.filter((c) => c.startsWith('chkconfig acpid'))).toEqual([]);
    model.notInstalled.delete('acpid');
    model.boot.get('an-node02')!.add('acpid');
    await expect(task('acpid-off').verify!(fakeContext(p, b, a))).rejects.toThrow(
      /acpid off at boot and stopped; saw acpid on at boot/,
    );
  });

  it('detects a node 2 copy that differs', async () => {
    const p = plan();
    const { a, b } = fakeCluster(p);
    a.files.set(CLUSTER_CONF, renderClusterConf(p, 'foundation'));
    b.files.set(
      CLUSTER_CONF,
      renderClusterConf(p, 'foundation').replace('post_join_delay="30"', 'post_join_delay="6"'),
    );
    await expect(task('push').verify!(fakeContext(p, a, b))).rejects.toThrow(/a different file/);
  });

  it('raises config_version above the running one when the foundation changes on a running cluster, and pushes with cman_tool', async () => {
    const p = plan();
    const { a, b, model } = fakeCluster(p);
    for (const t of clusterFoundation.tasks) await run(p, a, b, t);
    expect(model.version).toBe(7);
    p.answers.cluster.postJoinDelay = 20;
    await run(p, a, b, task('write-conf'));
    expect(configVersionOf(a.files.get(CLUSTER_CONF)!)).toBe(8);
    expect(a.files.get(CLUSTER_CONF)).toContain('post_join_delay="20"');
    expect(a.files.get(`${CLUSTER_CONF}.orig`)).toBe(
      renderClusterConf({ ...p, cluster: { ...p.cluster, postJoinDelay: 30 } }, 'foundation', 7),
    );
    await run(p, a, b, task('push'));
    expect(model.version).toBe(8);
    expect(a.stdins.find((s) => s.cmd === 'cman_tool version -r')?.stdin).toBe('secret\nsecret\n');
    expect(b.files.get(CLUSTER_CONF)).toBe(a.files.get(CLUSTER_CONF));
  });

  it('never takes a running cluster back to an earlier stage', async () => {
    const p = plan();
    const { a, b, model } = fakeCluster(p);
    for (const n of [a, b]) n.files.set(CLUSTER_CONF, renderClusterConf(p, 'vms', 12));
    model.running.get('an-node01')!.add('cman');
    model.version = 12;
    const ctx = fakeContext(p, a, b);
    await runTask(task('write-conf'), ctx);
    expect(a.files.get(CLUSTER_CONF)).toBe(renderClusterConf(p, 'vms', 12));
    expect(ctx.logs.join('\n')).toContain("already uses the 'vms' configuration");
    await expect(task('write-conf').verify!(ctx)).resolves.toMatchObject({
      details: { configVersion: 12, stage: 'vms' },
    });
  });
});

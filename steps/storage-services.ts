/**
 * Clustered storage services: rgmanager takes over drbd -> clvmd -> gfs2 -> libvirtd, one service
 * per node pinned to that node by a restricted single-node failover domain; pushed to the running
 * cluster with `cman_tool version -r`, then rgmanager started by hand on both nodes.
 */
import type { Step } from '../src/engine/types.js';
import { VerifyFailed } from '../src/errors.js';
import { clustatService } from '../src/verify/clustat.js';
import { chkconfigOff, daemonTask, ensureStarted, ensureStopped, isInstalled, isRunning, pushTask, readClustat, storageProblems, storageService, validateTask, waitFor, writeConfTask } from './cluster-conf.js';
import { until } from './cluster-ops.js';

export const storageServices: Step = {
  id: 'storage-services',
  title: 'Clustered storage services (rgmanager)',
  doc:
    'rgmanager, configured inside <rm>, starts drbd, clvmd, gfs2 and libvirtd instead of the boot sequence, so that a ' +
    'failure fails the whole tree: if DRBD does not start, clvmd, the GFS2 mount and libvirtd (hence the VMs) are not ' +
    'attempted. The four init scripts are defined once as <script> resources; each node gets a restricted, unordered, ' +
    'no-failback failover domain holding only itself (only_<label>), and a storage_<label> service in it whose resources ' +
    'are nested so they start drbd first and stop it last. The services have autostart="1", so they start when ' +
    'rgmanager gains quorum. Now that the cluster runs, the new file is pushed with `cman_tool version -r`, which ' +
    'authenticates to ricci on each node; `cman_tool version` then shows the new config_version on both nodes. ' +
    'rgmanager stays off at boot for now: the cluster is still started by hand after each boot.',
  warnings: [
    'It is a fairly common mistake to interpret exclusive to mean that a service is only allowed to run on one node at a time. This is not the case.',
    "Enable both storage services at about the same time: the first node's DRBD waits wfc-timeout seconds for its peer.",
  ],
  tasks: [
    writeConfTask('storage-services.write-conf', 'storage'),
    validateTask('storage-services.validate'),
    pushTask('storage-services.push', 'storage'),
    daemonTask('storage-services.rgmanager-off', 'Keep rgmanager off at boot (the cluster is still started by hand)', 'rgmanager', 'off'),
    {
      id: 'storage-services.libvirtd-off',
      title: 'Keep libvirtd off at boot (rgmanager starts it after the storage)',
      on: 'both',
      kind: 'safe',
      commands: () => ['chkconfig libvirtd off', '/etc/init.d/libvirtd stop'],
      // NOTE: the tutorial says the four daemons rgmanager manages must not start at boot (drbd, clvmd,
      // gfs2, libvirtd) but never turns libvirtd off: a libvirtd started at boot could start a guest
      // before its storage. It is stopped only while rgmanager does not run yet (first build): on a
      // running cluster libvirtd carries the guests and must be left alone.
      async run(ctx) {
        if (!(await isInstalled(ctx.node, 'libvirtd'))) return;
        await ctx.node.sh('chkconfig libvirtd off');
        if (!(await isRunning(ctx.node, 'rgmanager'))) await ensureStopped(ctx.node, 'libvirtd');
      },
      expect: () => ['chkconfig --list libvirtd: off in every runlevel (rgmanager starts it as the last resource of the storage service)'],
      verify: (ctx) => chkconfigOff(ctx, 'storage-services.libvirtd-off', 'libvirtd'),
    },
    {
      id: 'storage-services.start-rgmanager',
      title: 'Start rgmanager on both nodes',
      on: 'both',
      kind: 'safe',
      commands: () => ['/etc/init.d/rgmanager start'],
      async run(ctx) {
        await ensureStarted(ctx.node, 'rgmanager');
        // NOTE: the storage services start by themselves (autostart="1"); DRBD may wait wfc-timeout
        // seconds for its peer, so allow for that and more.
        const name = `service:${storageService(ctx.node.plan)}`;
        await waitFor(
          async () => {
            const s = clustatService(await readClustat(ctx.node), name);
            if (s?.state === 'failed') throw new VerifyFailed('storage-services.start-rgmanager', ctx.node.plan.name, `${name} started`, 'failed (look in /var/log/messages for a DRBD split-brain)');
            return s?.state === 'started' ? s : undefined;
          },
          { timeoutMs: (ctx.plan.storage.drbd.wfcTimeout + 300) * 1000, intervalMs: 3000, what: `${name} to start` },
        );
      },
      expect: (p) => [
        `clustat: ${p.nodes.map((n) => `${n.fqdn} Online, rgmanager`).join('; ')}`,
        ...p.nodes.map((n) => `service:${storageService(n)} started on ${n.fqdn}`),
      ],
      expectedOutput: (p, n) =>
        [
          `Cluster Status for ${p.cluster.name} @ ...`,
          'Member Status: Quorate',
          ' Member Name                             ID   Status',
          ' ------ ----                             ---- ------',
          ...p.nodes.map((m) => ` ${m.fqdn.padEnd(40)}${String(m.id).padStart(4)} Online, ${m === n ? 'Local, ' : ''}rgmanager`),
          ' Service Name                   Owner (Last)                   State',
          ' ------- ----                   ----- ------                   -----',
          ...p.nodes.map((m) => ` ${`service:${storageService(m)}`.padEnd(31)}${m.fqdn.padEnd(30)}started`),
        ].join('\n'),
      async verify(ctx) {
        // NOTE: both nodes start rgmanager at once; the peer's storage tree (drbd, clvmd, gfs2,
        // libvirtd) may finish seconds after this node's: poll until both are started.
        const timeoutMs = (ctx.plan.storage.drbd.wfcTimeout + 300) * 1000;
        await until(async () => (storageProblems(ctx.plan, await readClustat(ctx.node)).length ? undefined : true), timeoutMs, 3_000);
        const problems = storageProblems(ctx.plan, await readClustat(ctx.node));
        if (problems.length)
          throw new VerifyFailed('storage-services.start-rgmanager', ctx.node.plan.name, 'both members Online with rgmanager, each storage service started on its node', problems.join('; '));
        return { summary: `both members online with rgmanager; ${ctx.plan.nodes.map((n) => storageService(n)).join(', ')} started` };
      },
    },
  ],
};

/**
 * The first cluster.conf and the first start of the cluster: a minimal two-node configuration
 * (cman, nodes, fencing, fence_daemon, totem) written on node 1, validated, copied to node 2, then
 * ricci, modclusterd and acpid set up, and cman started on both nodes at once.
 */
import type { Step, Task, TaskContext } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { cmanProblems, type CmanStatus } from '../src/verify/cman-status.js';
import { cmanStatus, until } from './cluster-ops.js';
import {
  CLUSTER_CONF,
  confBody,
  daemonTask,
  ensureStarted,
  pushWithCmanTool,
  ricciPassword,
  rsyncCommand,
  runningVersion,
  validateTask,
  writeConfTask,
} from './cluster-conf.js';

/** The tutorial's warning about starting cman, with this cluster's post_join_delay. */
export function cmanStartWarning(p: Plan): string {
  return `If you don't start cman on both nodes within ${p.cluster.postJoinDelay} seconds, the slower node will be fenced.`;
}

const pushFoundation: Task = {
  id: 'cluster-foundation.push',
  title: 'Copy cluster.conf to node 2 (rsync; cman is not running yet)',
  on: 'node1',
  kind: 'safe',
  concerns: CLUSTER_CONF,
  commands: (p) => [rsyncCommand(p)],
  async run(ctx) {
    // NOTE: once cman runs (a re-run), a copy would not be loaded: push through the cluster instead.
    if ((await runningVersion(ctx.node)) !== undefined) return pushWithCmanTool(ctx);
    await ctx.node.sh(rsyncCommand(ctx.plan), { timeoutMs: 60_000 });
  },
  expect: (p) => [`${p.nodes[1].name}:${CLUSTER_CONF} is identical to ${p.nodes[0].name}'s`],
  async verify(ctx) {
    const mine = await ctx.node.readFile(CLUSTER_CONF);
    const theirs = await ctx.peer.readFile(CLUSTER_CONF);
    if (mine === null || theirs === null || confBody(mine) !== confBody(theirs))
      throw new VerifyFailed(
        'cluster-foundation.push',
        ctx.peer.plan.name,
        `the same ${CLUSTER_CONF} as ${ctx.node.plan.name}`,
        theirs === null ? 'no such file' : 'a different file',
      );
    return { summary: `${ctx.peer.plan.name} holds the same cluster.conf` };
  },
};

const ricciPasswd: Task = {
  id: 'cluster-foundation.ricci-password',
  title: 'Set the ricci user password',
  on: 'both',
  kind: 'safe',
  // NOTE: the tutorial types it at `passwd ricci`; the tool pipes it on stdin so it never appears
  // on a command line, in the journal or in the runbook.
  commands: () => ['passwd --stdin ricci'],
  async run(ctx: TaskContext) {
    const pw = await ricciPassword(ctx);
    await ctx.node.sh('passwd --stdin ricci', { stdin: `${pw}\n` });
  },
  expect: () => [
    'passwd -S ricci: "PS" (password set)',
    'the password comes from ricci.password or is asked once (never shown)',
  ],
  expectedOutput: () => 'Changing password for user ricci.\npasswd: all authentication tokens updated successfully.',
  async verify(ctx) {
    const out = await ctx.node.sh('passwd -S ricci');
    const status = out.trim().split(/\s+/)[1];
    if (status !== 'PS')
      throw new VerifyFailed(
        'cluster-foundation.ricci-password',
        ctx.node.plan.name,
        'ricci password set (PS)',
        out.trim() || '(no output)',
      );
    return { summary: 'ricci has a password' };
  },
};

const startCman: Task = {
  id: 'cluster-foundation.start-cman',
  title: 'Start cman on both nodes at the same time',
  on: 'both',
  kind: 'safe',
  commands: () => ['/etc/init.d/cman start'],
  // NOTE: its text names post_join_delay: lowering it later (tutorial 1339) must not look like a new start.
  firstBuildOnly: 'cman is started by hand once, on both nodes at the same time; from then on it runs',
  // NOTE: 'both' runs the two starts in parallel: the first node to start waits post_join_delay
  // seconds for its peer, then fences it.
  run: (ctx) => ensureStarted(ctx.node, 'cman', 300_000),
  expect: (p, n) => [
    cmanStartWarning(p),
    `cman_tool status on ${n.name}: Cluster Name: ${p.cluster.name}, Config Version: ${p.configVersion.foundation}, Membership state: Cluster-Member, Nodes: 2, Flags: 2node, Node name: ${n.fqdn}`,
  ],
  expectedOutput: (p, n) =>
    [
      'Version: 6.2.0',
      `Config Version: ${p.configVersion.foundation}`,
      `Cluster Name: ${p.cluster.name}`,
      'Cluster Member: Yes',
      'Membership state: Cluster-Member',
      'Nodes: 2',
      'Expected votes: 1',
      'Total votes: 2',
      'Node votes: 1',
      'Quorum: 1',
      'Flags: 2node',
      `Node name: ${n.fqdn}`,
      `Node ID: ${n.id}`,
      `Node addresses: ${n.bcn}`,
    ].join('\n'),
  async verify(ctx) {
    // NOTE: both starts run at once but return at different times: the peer may join a few seconds
    // after this node's start returned, so membership is polled (up to post_join_delay and a margin).
    const want = {
      clusterName: ctx.plan.cluster.name,
      nodeName: ctx.node.plan.fqdn,
      minConfigVersion: ctx.plan.configVersion.foundation,
    };
    const problemsOf = (st: CmanStatus | undefined) => {
      if (!st) return ['cman is not running'];
      const out = cmanProblems(st, want);
      // NOTE: the cluster must talk over the BCN: the node name has to resolve to the BCN address.
      if (st.nodeAddresses.length && !st.nodeAddresses.includes(ctx.node.plan.bcn))
        out.push(`Node addresses: ${st.nodeAddresses.join(' ')} (want the BCN address ${ctx.node.plan.bcn})`);
      return out;
    };
    const s =
      (await until(
        async () => {
          const st = await cmanStatus(ctx.node);
          return problemsOf(st).length ? undefined : st;
        },
        (ctx.plan.cluster.postJoinDelay + 60) * 1000,
      )) ?? (await cmanStatus(ctx.node));
    const problems = problemsOf(s);
    if (problems.length || !s)
      throw new VerifyFailed(
        'cluster-foundation.start-cman',
        ctx.node.plan.name,
        `a member of ${ctx.plan.cluster.name} with 2 nodes`,
        problems.join('; '),
      );
    return {
      summary: `${s.nodeName} is a member of ${s.clusterName} (config ${s.configVersion}, nodes ${s.nodes})`,
      details: { configVersion: s.configVersion ?? -1, nodes: s.nodes ?? 0, generation: s.generation ?? 0 },
    };
  },
};

export const clusterFoundation: Step = {
  id: 'cluster-foundation',
  title: 'The first cluster.conf and starting the cluster',
  ifSkipped: "no cluster: fencing, DRBD's fence handler, clvmd and GFS2 need cman; every later step fails",
  doc:
    'The heart of Red Hat Cluster Services is /etc/cluster/cluster.conf. The first stage is a configuration as minimal as ' +
    'possible, written on node 1 and copied to node 2: the cluster name and config_version (incremented at every change, ' +
    'or the cluster tools will not know the file must be reloaded); cman two_node="1" with expected_votes="1", because ' +
    'with two nodes quorum would be lost with either node; one clusternode per node, named by the FQDN that resolves to ' +
    'its BCN address (that is how the cluster picks its network); the fence devices and, per node, the fence methods in ' +
    'the order they are tried (all devices of a method must succeed; the methods loop until one does); post_join_delay, ' +
    'so the node that starts first gives its peer time to join before fencing it; and totem with secauth and the ' +
    'redundant ring off, since the BCN is private and bonded. ccs_config_validate checks the file; cman is not running ' +
    'yet, so rsync copies it. ricci gets a password because `cman_tool version -r` authenticates against it to push ' +
    'later changes; modclusterd must run too. acpid is disabled: with it running, an IPMI fence starts a graceful ' +
    'shutdown instead of an instant power-off. Finally cman starts on both nodes at the same time; watch ' +
    '`tail -f -n 0 /var/log/messages` in a second terminal while it does.',
  warnings: (p) => [
    cmanStartWarning(p),
    'When using IPMI for fencing, it is very important that you disable ACPI. If acpid is running when an IPMI-based fence is called against it, it will begin a graceful shutdown, long enough for it to fence its peer as well.',
    'If ccs_config_validate reports a problem, go back and fix it. DO NOT proceed until your configuration validates.',
  ],
  tasks: [
    // NOTE: the ricci password first (the tutorial sets it right after the rsync, 1385): a changed
    // password is then set on both nodes before a re-applied cluster.conf is pushed with it.
    ricciPasswd,
    writeConfTask('cluster-foundation.write-conf', 'foundation'),
    validateTask('cluster-foundation.validate'),
    pushFoundation,
    daemonTask('cluster-foundation.ricci', 'Enable and start ricci', 'ricci', 'on'),
    daemonTask('cluster-foundation.modclusterd', 'Enable and start modclusterd', 'modclusterd', 'on'),
    daemonTask(
      'cluster-foundation.acpid-off',
      'Disable acpid (IPMI fencing must power off at once)',
      'acpid',
      'off',
      'with acpid running, an IPMI fence triggers a graceful shutdown that keeps the node alive for seconds',
    ),
    startCman,
  ],
};

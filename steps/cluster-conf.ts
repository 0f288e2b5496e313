/**
 * What the cluster-manager steps share: the cluster.conf file at its three stages, its
 * config_version rule, validation and the two ways the tutorial pushes it (rsync before cman runs,
 * `cman_tool version -r` after), the ricci password, init-script helpers and the clustat checks.
 */
import type { FileSpec, NodeHandle, Task, TaskContext } from '../src/engine/types.js';
import type { Plan, PlanNode } from '../src/plan/derive.js';
import { MASK } from '../src/plan/derive.js';
import type { FenceDeviceAnswers } from '../src/plan/schema.js';
import { renderFile } from '../src/engine/render.js';
import { q } from '../src/engine/shell.js';
import { AnvilError, VerifyFailed, type Cause } from '../src/errors.js';
import { parseCmanVersion } from '../src/verify/cman-version.js';
import { parseCcsValidate } from '../src/verify/ccs-config-validate.js';
import { parseClustat, clustatMember, clustatService, type Clustat } from '../src/verify/clustat.js';
import { isOffAtBoot, isOnAtBoot, onLevels, parseChkconfig } from '../src/verify/chkconfig.js';
import { sleep } from '../src/util/sleep.js';
import { clock } from '../src/util/clock.js';

/** Where cman reads its configuration. */
export const CLUSTER_CONF = '/etc/cluster/cluster.conf';

/** The three forms cluster.conf takes in the tutorial, in order. */
export const CONF_STAGES = ['foundation', 'storage', 'vms'] as const;
/** One stage of cluster.conf: cman + fencing; + storage services; + VM services. */
export type ConfStage = (typeof CONF_STAGES)[number];

/** The FileSpec of cluster.conf at a stage (version: the plan's, unless given). */
export function clusterConfSpec(p: Plan, stage: ConfStage, version = p.configVersion[stage]): FileSpec {
  return {
    path: CLUSTER_CONF,
    template: 'cluster/cluster.conf.ejs',
    locals: { stage, version },
    // NOTE: it holds the fence devices' passwords; cman only needs root to read it.
    mode: 0o640,
    backup: 'orig',
    secret: true,
    // NOTE: node 1 pushes it (rsync, then `cman_tool version -r`): node 2 ends with the same file.
    copiedTo: 'peer',
  };
}

/** Render cluster.conf for a stage and version. */
export function renderClusterConf(p: Plan, stage: ConfStage, version = p.configVersion[stage]): string {
  return renderFile(clusterConfSpec(p, stage, version), p, p.nodes[0]);
}

/** The config_version of a cluster.conf text; undefined when absent. */
export function configVersionOf(text: string): number | undefined {
  const m = /<cluster\b[^>]*\bconfig_version="(\d+)"/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The text without its config_version and with whitespace collapsed: "same configuration" test. */
export function confBody(text: string): string {
  return text
    .replace(/\s*\bconfig_version="\d+"/, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*(\/?>)/g, '$1')
    .trim();
}

/** Which stage a cluster.conf text is at (by its content). */
export function stageOf(text: string): ConfStage {
  if (/<vm\b/.test(text)) return 'vms';
  if (/<rm\b/.test(text)) return 'storage';
  return 'foundation';
}

/** The later of two stages. */
export function laterStage(a: ConfStage, b: ConfStage): ConfStage {
  return CONF_STAGES.indexOf(a) >= CONF_STAGES.indexOf(b) ? a : b;
}

/**
 * The config_version to write. The file's version goes up with every push (7, 10, 12 in the
 * tutorial), and a push with `cman_tool version -r` is refused unless it is greater than the
 * running one. So: the planned version, raised above the running one; except when the wanted
 * configuration is already the active one, which keeps its version (nothing to push).
 */
export function chooseVersion(
  planned: number,
  running: number | undefined,
  active?: { version?: number; same: boolean },
): number {
  if (running === undefined) return planned;
  if (active?.same && active.version === running) return running;
  return Math.max(planned, running + 1);
}

/** The config version cman is running with on a node; undefined when cman is not running. */
export async function runningVersion(node: NodeHandle): Promise<number | undefined> {
  const r = await node.exec('cman_tool version');
  if (r.code !== 0) return undefined;
  return parseCmanVersion(r.stdout)?.config;
}

/**
 * Write cluster.conf on node 1 at `stage` (the task's `run`). When cman is running, the version is
 * raised above the running one, and a stage already active is never taken back (a re-run of an
 * earlier step must not push a configuration without the services that are running).
 */
export async function writeClusterConf(ctx: TaskContext, stage: ConfStage): Promise<void> {
  const p = ctx.plan;
  const running = await runningVersion(ctx.node);
  // NOTE: node 2's copy is what the last push left there, i.e. the configuration cman runs with.
  const active = running === undefined ? null : await ctx.peer.readFile(CLUSTER_CONF);
  const effective = active ? laterStage(stage, stageOf(active)) : stage;
  if (effective !== stage) ctx.log(`the running cluster already uses the '${effective}' configuration; keeping it`);
  const body = confBody(renderClusterConf(p, effective, 0));
  const version = chooseVersion(
    p.configVersion[effective],
    running,
    active ? { version: configVersionOf(active), same: confBody(active) === body } : undefined,
  );
  if (version !== p.configVersion[effective])
    ctx.log(`config_version ${version} (planned ${p.configVersion[effective]}; cman runs ${running})`);
  const content = renderClusterConf(p, effective, version);
  const current = await ctx.node.readFile(CLUSTER_CONF);
  if (current !== content) await ctx.node.writeFile(CLUSTER_CONF, content, { mode: 0o640, backup: 'orig' });
}

/** Verify node's cluster.conf is the rendering of `stage` (or a later one) at its own version. */
export async function verifyClusterConf(ctx: TaskContext, task: string, stage: ConfStage) {
  const text = await ctx.node.readFile(CLUSTER_CONF);
  if (text === null)
    throw new VerifyFailed(task, ctx.node.plan.name, `${CLUSTER_CONF} at stage ${stage}`, 'no such file');
  const version = configVersionOf(text);
  if (version === undefined) throw new VerifyFailed(task, ctx.node.plan.name, 'a config_version attribute', 'none');
  const effective = laterStage(stage, stageOf(text));
  if (confBody(text) !== confBody(renderClusterConf(ctx.plan, effective, version)))
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      `${CLUSTER_CONF} as planned (stage ${effective})`,
      'a different file (run `anvil-install plan` to see the diff)',
    );
  return {
    summary: `cluster.conf config_version ${version} (${effective})`,
    details: { configVersion: version, stage: effective },
  };
}

// NOTE: per plan, so a password typed once serves both nodes and every push of this run; never stored.
const prompted = new WeakMap<Plan, Promise<string>>();

/** The ricci user's password: from the answers, else asked once (secret) and kept in memory. */
export function ricciPassword(ctx: TaskContext): Promise<string> {
  const given = ctx.plan.answers.ricci.password;
  if (given) return Promise.resolve(given);
  let pw = prompted.get(ctx.plan);
  if (!pw) {
    pw = ctx.prompt.input('Password for the ricci user (cman_tool version -r authenticates with it)', {
      secret: true,
      path: 'ricci.password',
    });
    prompted.set(ctx.plan, pw);
  }
  return pw;
}

/** The rsync the tutorial pushes the first cluster.conf with (cman is not running yet). */
export function rsyncCommand(p: Plan): string {
  return `rsync -av ${CLUSTER_CONF} root@${q(p.nodes[1].name)}:/etc/cluster/`;
}

/**
 * Push node 1's cluster.conf to the running cluster with `cman_tool version -r`. It asks for the
 * ricci password of each node it has not authenticated to yet: the password goes on stdin, never on
 * the command line. Does nothing when that exact configuration is already active on both nodes.
 */
export async function pushWithCmanTool(ctx: TaskContext): Promise<void> {
  const text = await ctx.node.readFile(CLUSTER_CONF);
  if (text === null)
    throw new AnvilError(`${ctx.node.plan.name}: ${CLUSTER_CONF} is missing`, 're-run the task that writes it');
  const version = configVersionOf(text);
  const running = await runningVersion(ctx.node);
  if (running === undefined)
    throw new AnvilError(
      `cman is not running on ${ctx.node.plan.name}; cman_tool version -r needs a running cluster`,
      'start cman on both nodes (step cluster-foundation) and run again',
    );
  if (version === running) {
    const peer = await ctx.peer.readFile(CLUSTER_CONF);
    if (peer !== null && confBody(peer) === confBody(text)) {
      ctx.log(`config_version ${version} is already active`);
      return;
    }
  }
  if (version === undefined || version <= running)
    throw new AnvilError(
      `${CLUSTER_CONF} has config_version ${version ?? '(none)'}, not greater than the running ${running}: cman would refuse it`,
      'run the task that writes cluster.conf again; it raises the version above the running one',
    );
  const pw = await ricciPassword(ctx);
  await ctx.node.sh('cman_tool version -r', { stdin: `${pw}\n${pw}\n`, timeoutMs: 120_000 });
}

/** Verify both nodes run the config_version of node 1's file, and hold the same file. */
export async function verifyPushed(ctx: TaskContext, task: string) {
  const text = (await ctx.node.readFile(CLUSTER_CONF)) ?? '';
  const want = configVersionOf(text);
  const seen: string[] = [];
  for (const n of [ctx.node, ctx.peer]) {
    const r = await n.exec('cman_tool version');
    const v = parseCmanVersion(r.stdout)?.config;
    if (v !== want) seen.push(`${n.plan.name}: ${r.code === 0 ? r.stdout.trim() : 'cman not running'}`);
  }
  const peerText = await ctx.peer.readFile(CLUSTER_CONF);
  if (peerText === null || confBody(peerText) !== confBody(text))
    seen.push(`${ctx.peer.plan.name}: ${CLUSTER_CONF} differs from ${ctx.node.plan.name}'s`);
  if (seen.length) throw new VerifyFailed(task, ctx.node.plan.name, `both nodes on config ${want}`, seen.join('; '));
  return { summary: `both nodes run cluster.conf config_version ${want}`, details: { configVersion: want ?? -1 } };
}

/**
 * Re-apply cluster.conf after a change, as the tutorial updates a running cluster (2877, 3093): the
 * final form (the stage the cluster already runs, so a re-opened earlier step never drops later
 * additions) at a config_version above the running one, `ccs_config_validate`, then `cman_tool
 * version -r`. Before cman runs (the first build stopped early) it is copied with rsync instead.
 * Idempotent: resumed after a kill at any point, it ends with both nodes on the final form.
 */
export async function reapplyClusterConf(ctx: TaskContext, task: string, stage: ConfStage): Promise<void> {
  await writeClusterConf(ctx, stage);
  await validateConf(ctx, task);
  if ((await runningVersion(ctx.node)) === undefined) {
    await ctx.node.sh(rsyncCommand(ctx.plan), { timeoutMs: 60_000 });
    return;
  }
  await pushWithCmanTool(ctx);
}

/** Verify a re-apply: node 1's file is the final form, and the running cluster has it (or node 2 holds it, before cman runs). */
export async function verifyReapplied(ctx: TaskContext, task: string, stage: ConfStage) {
  const conf = await verifyClusterConf(ctx, task, stage);
  if ((await runningVersion(ctx.node)) !== undefined) return verifyPushed(ctx, task);
  const mine = await ctx.node.readFile(CLUSTER_CONF);
  const theirs = await ctx.peer.readFile(CLUSTER_CONF);
  if (mine === null || theirs === null || confBody(mine) !== confBody(theirs))
    throw new VerifyFailed(
      task,
      ctx.peer.plan.name,
      `the same ${CLUSTER_CONF} as ${ctx.node.plan.name}`,
      'a different file',
    );
  return conf;
}

/** A task: write cluster.conf on node 1 at a stage. */
export function writeConfTask(id: string, stage: ConfStage): Task {
  return {
    id,
    title: `Write ${CLUSTER_CONF} (${stage === 'foundation' ? 'cman, nodes, fencing, totem' : stage === 'storage' ? 'adds resources, failover domains, storage services' : 'adds ordered domains and vm: services'})`,
    on: 'node1',
    kind: 'safe',
    files: (p) => [clusterConfSpec(p, stage)],
    run: (ctx) => writeClusterConf(ctx, stage),
    expect: (p) => [`config_version ${p.configVersion[stage]} (or higher, above the version cman runs)`],
    verify: (ctx) => verifyClusterConf(ctx, id, stage),
    live: {
      summary: () =>
        `writes ${CLUSTER_CONF} once, in its final form (every section the cluster already runs) with config_version above the running one, validates it and pushes it with \`cman_tool version -r\`; cman and rgmanager reload it, nothing is stopped or restarted`,
      commands: (p) => [
        `# ${CLUSTER_CONF}: the final form, config_version = the running one + 1 (\`cman_tool version\`)`,
        'ccs_config_validate',
        'cman_tool version -r',
        `cman_tool version   # on both nodes: the new config_version (before cman runs: ${rsyncCommand(p)})`,
      ],
      run: (ctx) => reapplyClusterConf(ctx, id, stage),
      verify: (ctx) => verifyReapplied(ctx, id, stage),
    },
  };
}

/** `ccs_config_validate` on the node; throws `VerifyFailed` with its errors. */
export async function validateConf(ctx: TaskContext, task: string) {
  const r = await ctx.node.exec('ccs_config_validate');
  const v = parseCcsValidate(`${r.stdout}\n${r.stderr}`, r.code);
  if (!v.valid)
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      'Configuration validates',
      v.errors.join(' / ') || `exit code ${r.code}`,
    );
  return { summary: 'Configuration validates' };
}

/** A task: `ccs_config_validate` on node 1. */
export function validateTask(id: string): Task {
  return {
    id,
    title: 'Validate cluster.conf (ccs_config_validate)',
    on: 'node1',
    kind: 'safe',
    concerns: CLUSTER_CONF,
    commands: () => ['ccs_config_validate'],
    expectedOutput: () => 'Configuration validates',
    expect: () => ['ccs_config_validate prints "Configuration validates"; DO NOT proceed until it does'],
    verify: (ctx) => validateConf(ctx, id),
  };
}

/** A task: push cluster.conf to the running cluster with `cman_tool version -r`. */
export function pushTask(id: string, stage: ConfStage): Task {
  return {
    id,
    title: 'Push cluster.conf to the cluster (cman_tool version -r)',
    on: 'node1',
    kind: 'safe',
    concerns: CLUSTER_CONF,
    commands: () => ['cman_tool version -r'],
    run: pushWithCmanTool,
    expect: (p) => [
      `cman_tool version on both nodes: 6.2.0 config ${p.configVersion[stage]}`,
      'the ricci password is asked once per node the first time; the tool answers it on stdin',
    ],
    expectedOutput: (p) => `6.2.0 config ${p.configVersion[stage]}`,
    verify: (ctx) => verifyPushed(ctx, id),
  };
}

/** Whether a service has an init script on the node. */
export async function isInstalled(node: NodeHandle, service: string): Promise<boolean> {
  return (await node.exec(`test -x /etc/init.d/${q(service)}`)).code === 0;
}

/** Whether an init script reports its service running. */
export async function isRunning(node: NodeHandle, service: string): Promise<boolean> {
  return (await node.exec(`/etc/init.d/${q(service)} status`)).code === 0;
}

/** Start a service unless its init script says it runs already (start is not idempotent everywhere). */
export async function ensureStarted(node: NodeHandle, service: string, timeoutMs = 120_000): Promise<void> {
  if (!(await isRunning(node, service))) await node.sh(`/etc/init.d/${q(service)} start`, { timeoutMs });
}

/** Stop a service if it runs. */
export async function ensureStopped(node: NodeHandle, service: string, timeoutMs = 120_000): Promise<void> {
  if (await isRunning(node, service)) await node.sh(`/etc/init.d/${q(service)} stop`, { timeoutMs });
}

/** Verify a service's boot setting and run state. */
export async function verifyDaemon(
  ctx: TaskContext,
  task: string,
  service: string,
  boot: 'on' | 'off',
  running: boolean,
) {
  // NOTE: a service that must be off is off when it is not installed at all (e.g. no acpid package).
  if (boot === 'off' && !(await isInstalled(ctx.node, service))) return { summary: `${service}: not installed` };
  const list = parseChkconfig(await ctx.node.sh(`chkconfig --list ${q(service)}`));
  const bootOk = boot === 'on' ? isOnAtBoot(list, service) : isOffAtBoot(list, service);
  const isUp = await isRunning(ctx.node, service);
  if (!bootOk || isUp !== running)
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      `${service} ${boot} at boot and ${running ? 'running' : 'stopped'}`,
      `${service} ${bootOk ? boot : boot === 'on' ? 'off' : 'on'} at boot and ${isUp ? 'running' : 'stopped'}`,
    );
  return { summary: `${service}: ${boot} at boot, ${running ? 'running' : 'stopped'}` };
}

/** Verify a service is off in every runlevel (its run state aside). */
export async function chkconfigOff(ctx: TaskContext, task: string, service: string) {
  const list = parseChkconfig((await ctx.node.exec(`chkconfig --list ${service}`)).stdout);
  if (!isOffAtBoot(list, service))
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      `${service} off in every runlevel`,
      list.has(service) ? `on in runlevels ${onLevels(list, service)}` : `${service} not known to chkconfig`,
    );
  return { summary: `${service} off at boot` };
}

/** A task: `chkconfig SERVICE on|off` and start/stop it now, on both nodes. */
export function daemonTask(id: string, title: string, service: string, boot: 'on' | 'off', why?: string): Task {
  const running = boot === 'on';
  return {
    id,
    title,
    on: 'both',
    kind: 'safe',
    commands: () => [`chkconfig ${service} ${boot}`, `/etc/init.d/${service} ${running ? 'start' : 'stop'}`],
    async run(ctx) {
      if (!running && !(await isInstalled(ctx.node, service))) return;
      await ctx.node.sh(`chkconfig ${q(service)} ${boot}`);
      if (running) await ensureStarted(ctx.node, service);
      else await ensureStopped(ctx.node, service);
    },
    expect: () => [
      `chkconfig --list ${service}: ${running ? '2:on 3:on 4:on 5:on' : 'off in every runlevel'}; ${service} ${running ? 'running' : 'stopped'}`,
      ...(why ? [why] : []),
    ],
    verify: (ctx) => verifyDaemon(ctx, id, service, boot, running),
  };
}

/** Read `clustat` on a node. */
export async function readClustat(node: NodeHandle): Promise<Clustat> {
  return parseClustat(await node.sh('clustat'));
}

/** The storage service of a node: `storage_<label>`. */
export const storageService = (n: PlanNode): string => `storage_${n.label}`;

/** What differs from "both members online with rgmanager, each storage service started on its node". */
export function storageProblems(p: Plan, c: Clustat): string[] {
  const out: string[] = [];
  if (c.quorate === false) out.push('cluster not quorate');
  for (const n of p.nodes) {
    const m = clustatMember(c, n.fqdn);
    if (!m?.online || !m.rgmanager)
      out.push(`${n.fqdn}: ${m ? m.status.join(', ') : 'not listed'} (want Online, rgmanager)`);
    const s = clustatService(c, `service:${storageService(n)}`);
    if (s?.state !== 'started' || s.owner !== n.fqdn)
      out.push(
        `service:${storageService(n)}: ${s ? `${s.state} on ${s.owner ?? s.lastOwner ?? '(none)'}` : 'not listed'} (want started on ${n.fqdn})`,
      );
  }
  return out;
}

/** What differs from "every vm: service started on its host". */
export function vmProblems(p: Plan, c: Clustat, vms = p.vms): string[] {
  return vms.flatMap((v) => {
    const s = clustatService(c, `vm:${v.name}`);
    return s?.state === 'started' && s.owner === v.host.fqdn
      ? []
      : [
          `vm:${v.name}: ${s ? `${s.state} on ${s.owner ?? s.lastOwner ?? '(none)'}` : 'not listed'} (want started on ${v.host.fqdn})`,
        ];
  });
}

/**
 * The problems of `storageProblems`/`vmProblems` as causes: each is the state of what it names (a
 * member, `service:NAME`, `vm:NAME`), so every check that sees the same one reports it as one cause.
 */
export function clusterCauses(problems: readonly string[]): Cause[] {
  return problems.map((text) => {
    const i = text.indexOf(': ');
    return { key: i > 0 ? text.slice(0, i) : text, text };
  });
}

/** Verify the cluster is in its ideal state: members, storage services and every VM on its host. */
export async function verifyIdealState(ctx: TaskContext, task: string) {
  const c = await readClustat(ctx.node);
  const problems = [...storageProblems(ctx.plan, c), ...vmProblems(ctx.plan, c)];
  if (problems.length)
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      'both members online, storage and every VM started on its own node',
      problems.join('; '),
      clusterCauses(problems),
    );
  return {
    summary: `both members online; ${ctx.plan.vms.length} VMs on their hosts`,
    details: { vms: ctx.plan.vms.length },
  };
}

/** Poll on the install's clock until `probe` gives a value or `timeoutMs` passes (then undefined). */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 2_000,
): Promise<T | undefined> {
  const end = clock().now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (clock().now() >= end) return undefined;
    await sleep(intervalMs);
  }
}

/** Poll `probe` until it returns a value, fails, or `timeoutMs` passes (for waits inside `run`). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  o: { timeoutMs: number; intervalMs: number; what: string },
): Promise<T> {
  const v = await until(probe, o.timeoutMs, o.intervalMs);
  if (v === undefined)
    throw new AnvilError(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.what}`);
  return v;
}

/** "2 minutes" / "90 seconds" for a delay in ms, as the tutorial words them. */
export function humanMs(ms: number): string {
  if (ms % 60_000 === 0) {
    const m = ms / 60_000;
    return `${m} minute${m === 1 ? '' : 's'}`;
  }
  const s = Math.round(ms / 1000);
  return `${s} second${s === 1 ? '' : 's'}`;
}

/**
 * A fence agent call an operator can type, e.g. `fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o off`.
 * The password is always shown masked: runbooks and prompts never carry secrets.
 */
export function fenceAgentCommand(
  device: FenceDeviceAnswers,
  port: number | string | undefined,
  action: 'on' | 'off' | 'reboot',
): string {
  const parts = [device.agent];
  if (device.ipaddr !== undefined) parts.push('-a', q(String(device.ipaddr)));
  if (device.login !== undefined) parts.push('-l', q(String(device.login)));
  if (device.passwd !== undefined || device.password !== undefined) parts.push('-p', MASK);
  if (port !== undefined) parts.push('-n', q(port));
  parts.push('-o', action);
  return parts.join(' ');
}

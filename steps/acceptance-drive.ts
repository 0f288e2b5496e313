/**
 * The acceptance tests of the tutorial ("Taking theory and putting it into practice"), run by the
 * tool: live migration and withdrawal of each node, VM crashes until the recovery policy relocates
 * them, node crashes with fencing and takeover, and a cold stop and start of the whole platform.
 * Each checks the starting state (clustat ideal, DRBD connected and in sync), acts, watches clustat,
 * virsh and syslog, and never migrates a VM back onto a node whose DRBD is still resynchronising.
 */
import type { DriveContext, Evidence, NodeHandle } from '../src/engine/types.js';
import type { Plan, PlanNode, PlanVm } from '../src/plan/derive.js';
import { TestNotRun, VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';
import { clustatMember, clustatService, parseClustat, type Clustat } from '../src/verify/clustat.js';
import { parseProcDrbd } from '../src/verify/proc-drbd.js';
import { parseVirshList } from '../src/verify/virsh-list.js';
import { clock } from '../src/util/clock.js';
import { storageProblems, storageService, vmProblems } from './cluster-conf.js';
import { enableVm, vmsOf } from './vm-services.js';
import { HANG_DETACHED } from './fence-drive.js';
import {
  answers,
  enableStorageLeftOff,
  ensureNodesUp,
  handleOf,
  powerOnAgents,
  until,
  waitForNodeBack,
} from './cluster-ops.js';
import { markSyslog, syslogSeconds, syslogSince } from './syslog.js';
import { sleep } from '../src/util/sleep.js';
import { rebootAndWait } from './reboot.js';

/** Waits of the acceptance tests (install clock). */
export const ACCEPT_TIMING = {
  migrateMs: 300_000,
  serviceMs: 600_000,
  resyncMs: 3_600_000,
  backMs: 1_200_000,
  crashMs: 120_000,
};

async function clustatOn(h: NodeHandle): Promise<Clustat | undefined> {
  try {
    const r = await h.exec('clustat', { timeoutMs: 60_000 });
    return r.code === 0 ? parseClustat(r.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** Poll clustat on `h` until `problems` returns none; fail with the last problems seen. */
async function expectClustat(
  task: string,
  h: NodeHandle,
  want: string,
  problems: (c: Clustat) => string[],
  timeoutMs: number,
): Promise<Clustat> {
  let last: string[] = ['clustat did not answer'];
  const c = await until(
    async () => {
      const st = await clustatOn(h);
      last = st ? problems(st) : ['clustat did not answer (cman or rgmanager down?)'];
      return st && !last.length ? st : undefined;
    },
    timeoutMs,
    2_000,
  );
  if (!c) throw new VerifyFailed(task, h.plan.name, want, last.join('; '));
  return c;
}

const idealProblems = (p: Plan) => (c: Clustat) => [...storageProblems(p, c), ...vmProblems(p, c)];

/** What keeps a node's DRBD from being ready for VMs: every resource Connected, Primary/Primary, UpToDate/UpToDate, nothing out of sync. */
export function drbdNotReady(p: Plan, text: string): string[] {
  const d = parseProcDrbd(text);
  return p.resources.flatMap((r) => {
    const m = d.minors.find((x) => x.minor === r.minor);
    if (!m) return [`${r.name}: not configured`];
    const bad =
      m.cs !== 'Connected' ||
      m.ro.join('/') !== 'Primary/Primary' ||
      m.ds.join('/') !== 'UpToDate/UpToDate' ||
      (m.stats.oos ?? 0) > 0 ||
      // NOTE: the first flag of /proc/drbd is 's' while I/O is suspended (a fence-peer handler that has not
      // returned, or failed: every write to the resource hangs); 'r' is running (DRBD 8.3.12 drbd/drbd_proc.c `drbd_seq_show()`: is_susp() ? 's' : 'r').
      m.flags?.[0] === 's';
    return bad
      ? [
          `${r.name}: cs:${m.cs} ro:${m.ro.join('/')} ds:${m.ds.join('/')} oos:${m.stats.oos ?? '?'}${m.flags?.[0] === 's' ? ' I/O suspended' : ''}`,
        ]
      : [];
  });
}

/** Wait until DRBD on `h` is connected and in sync (a returning node resyncs first). */
async function waitDrbdReady(
  ctx: DriveContext,
  task: string,
  h: NodeHandle,
  timeoutMs = ACCEPT_TIMING.resyncMs,
): Promise<void> {
  let last: string[] = [];
  const ok = await until(
    async () => {
      const r = await h.exec('cat /proc/drbd');
      last = r.code === 0 ? drbdNotReady(ctx.plan, r.stdout) : ['/proc/drbd missing (DRBD not loaded)'];
      return last.length ? undefined : true;
    },
    timeoutMs,
    5_000,
  );
  if (!ok)
    throw new VerifyFailed(
      task,
      h.plan.name,
      'DRBD Connected, Primary/Primary, UpToDate/UpToDate, oos:0',
      last.join('; '),
    );
}

/** The guests running on a node (virsh list). */
async function guestsOn(h: NodeHandle): Promise<Set<string>> {
  const r = await h.exec('virsh list --all');
  return new Set(
    r.code === 0
      ? parseVirshList(r.stdout)
          .filter((d) => d.state === 'running')
          .map((d) => d.name)
      : [],
  );
}

/** The ideal state, and DRBD ready on both nodes: where every test starts and ends. */
async function expectIdeal(ctx: DriveContext, task: string, when: string): Promise<void> {
  await expectClustat(
    task,
    ctx.node,
    `${when}: both members online, storage and every VM started on its node`,
    idealProblems(ctx.plan),
    ACCEPT_TIMING.serviceMs,
  );
  for (const h of [ctx.node, ctx.peer]) await waitDrbdReady(ctx, task, h);
}

/**
 * Bring the platform back to its ideal state before a test: what an interrupted earlier attempt
 * (a killed install, a resumed run) may have left behind. Nodes that are down are waited for; cman
 * and rgmanager started where they do not run (cman on both at once); storage services enabled on
 * their nodes; each VM enabled where it runs (never started a second time) or on its home node,
 * then migrated home once DRBD is in sync.
 */
export async function bringToIdeal(ctx: DriveContext, task: string): Promise<string[]> {
  const p = ctx.plan;
  const did = await ensureNodesUp(ctx, task);
  const down = [];
  for (const n of p.nodes) if ((await handleOf(ctx, n).exec('/etc/init.d/cman status')).code !== 0) down.push(n);
  if (down.length) {
    did.push(`started cman on ${down.map((n) => n.name).join(', ')}`);
    await Promise.all(down.map((n) => handleOf(ctx, n).sh('/etc/init.d/cman start', { timeoutMs: 300_000 })));
  }
  for (const n of p.nodes) {
    const h = handleOf(ctx, n);
    if ((await h.exec('/etc/init.d/rgmanager status')).code !== 0) {
      did.push(`started rgmanager on ${n.name}`);
      await h.sh('/etc/init.d/rgmanager start', { timeoutMs: 300_000 });
    }
  }
  const c0 = await expectClustat(
    task,
    ctx.node,
    'both members online with rgmanager',
    (c) =>
      p.nodes
        .filter((n) => !clustatMember(c, n.fqdn)?.online || !clustatMember(c, n.fqdn)?.rgmanager)
        .map((n) => `${n.fqdn} not online with rgmanager`),
    ACCEPT_TIMING.serviceMs,
  );
  did.push(...(await enableStorageLeftOff(ctx, c0)));
  if (await settleGuests(ctx)) did.push('waited for rgmanager to recover a guest crashed by an interrupted test');
  const c1 = await expectClustat(
    task,
    ctx.node,
    'both storage services started',
    (c) => storageProblems(p, c),
    ACCEPT_TIMING.serviceMs,
  );
  for (const v of p.vms) {
    const s = clustatService(c1, `vm:${v.name}`);
    if (s?.state === 'started') continue;
    const where = [];
    for (const n of p.nodes) if ((await guestsOn(handleOf(ctx, n))).has(v.name)) where.push(n);
    if (where.length > 1)
      throw new VerifyFailed(
        task,
        v.host.name,
        `${v.name} running on one node`,
        `it runs on ${where.map((n) => n.name).join(' and ')}: stop one copy by hand first`,
      );
    if (s?.state === 'failed') await ctx.node.sh(`clusvcadm -d ${q(`vm:${v.name}`)}`, { timeoutMs: 300_000 });
    const on = where[0] ?? v.host;
    did.push(`enabled vm:${v.name} on ${on.name}`);
    await ctx.node.sh(`clusvcadm -e ${q(`vm:${v.name}`)} -m ${q(on.fqdn)}`, { timeoutMs: 300_000 });
  }
  for (const h of [ctx.node, ctx.peer]) await waitDrbdReady(ctx, task, h);
  const c2 = await expectClustat(
    task,
    ctx.node,
    'every VM started',
    (c) =>
      p.vms
        .filter((v) => clustatService(c, `vm:${v.name}`)?.state !== 'started')
        .map((v) => `vm:${v.name} not started`),
    ACCEPT_TIMING.serviceMs,
  );
  for (const v of p.vms)
    if (clustatService(c2, `vm:${v.name}`)?.owner !== v.host.fqdn) {
      did.push(`migrated ${v.name} home to ${v.host.name}`);
      await migrate(ctx, task, v, v.host);
    }
  await expectIdeal(ctx, task, 'before the test');
  return did;
}

/**
 * Wait until every VM clustat calls started really runs on its owner and none is between states: a
 * guest killed by an interrupted test (virsh destroy, a node crash) shows "started" until rgmanager's
 * status check notices (10 s at most, 4478) and recovers it. Returns whether it had to wait.
 */
async function settleGuests(ctx: DriveContext): Promise<boolean> {
  const p = ctx.plan;
  let waited = false;
  await until(
    async () => {
      const c = await clustatOn(ctx.node);
      if (!c) return undefined;
      for (const v of p.vms) {
        const s = clustatService(c, `vm:${v.name}`);
        const owner = p.nodes.find((n) => n.fqdn === s?.owner);
        const lost =
          /recovering|starting|stopping|migrating/.test(s?.state ?? '') ||
          (s?.state === 'started' && owner && !(await guestsOn(handleOf(ctx, owner))).has(v.name));
        if (lost) {
          if (!waited) ctx.log(`vm:${v.name} is ${s?.state} but not running: waiting for rgmanager to recover it`);
          waited = true;
          return undefined;
        }
      }
      return true;
    },
    ACCEPT_TIMING.crashMs,
    2_000,
  );
  return waited;
}

/** Every acceptance test starts from the ideal state; what had to be restored is its first evidence. */
async function startFromIdeal(ctx: DriveContext, task: string): Promise<Record<string, string>> {
  const fixed = await bringToIdeal(ctx, task);
  return fixed.length ? { restored: fixed.join('; ') } : {};
}

/** Live-migrate a VM with clusvcadm and check it runs on the target only. */
async function migrate(ctx: DriveContext, task: string, v: PlanVm, to: PlanNode): Promise<number> {
  const from = ctx.plan.peerOf(to);
  const t0 = clock().now();
  // NOTE: never onto a node whose DRBD is still resyncing (tutorial 5047-5056): wait first.
  await waitDrbdReady(ctx, task, handleOf(ctx, to));
  const r = await ctx.node.exec(`clusvcadm -M ${q(`vm:${v.name}`)} -m ${q(to.fqdn)}`, {
    timeoutMs: ACCEPT_TIMING.migrateMs,
  });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.code !== 0 || !/Success/.test(out))
    throw new VerifyFailed(
      task,
      ctx.node.plan.name,
      `Trying to migrate vm:${v.name} to ${to.fqdn}...Success`,
      out || `exit ${r.code}`,
    );
  await expectClustat(
    task,
    ctx.node,
    `vm:${v.name} started on ${to.fqdn}`,
    (c) => {
      const s = clustatService(c, `vm:${v.name}`);
      return s?.state === 'started' && s.owner === to.fqdn
        ? []
        : [`vm:${v.name} ${s?.state ?? 'missing'} on ${s?.owner ?? s?.lastOwner ?? '(none)'}`];
    },
    ACCEPT_TIMING.migrateMs,
  );
  const [on, off] = [await guestsOn(handleOf(ctx, to)), await guestsOn(handleOf(ctx, from))];
  if (!on.has(v.name) || off.has(v.name))
    throw new VerifyFailed(
      task,
      to.name,
      `${v.name} running on ${to.name} only`,
      `virsh: ${to.name} ${on.has(v.name) ? 'runs' : 'does not run'} it, ${from.name} ${off.has(v.name) ? 'still runs' : 'does not run'} it`,
    );
  return Math.round((clock().now() - t0) / 1000);
}

/** Withdraw node `i`: migrate its VMs away, stop rgmanager and cman, reboot, rejoin, migrate back. */
export function driveWithdraw(i: 0 | 1) {
  return async (ctx: DriveContext): Promise<Evidence> => {
    const task = `acceptance.withdraw-node${i + 1}`;
    const p = ctx.plan;
    const n = p.nodes[i];
    const m = p.peerOf(n);
    const [hn, hm] = [handleOf(ctx, n), handleOf(ctx, m)];
    const details = await startFromIdeal(ctx, task);
    for (const v of vmsOf(p, n)) details[`migrate.${v.name}`] = `to ${m.name} in ${await migrate(ctx, task, v, m)} s`;
    if (!(await ctx.confirmDestructive(`Withdraw ${n.name}: stop rgmanager and cman on it, then reboot it.`)))
      throw new TestNotRun(`withdrawal of ${n.name} was not confirmed`);
    await hn.sh('/etc/init.d/rgmanager stop', { timeoutMs: 600_000 });
    await hn.sh('/etc/init.d/cman stop', { timeoutMs: 300_000 });
    await expectClustat(
      task,
      hm,
      `${n.fqdn} Offline, service:${storageService(n)} stopped, every VM on ${m.fqdn}`,
      (c) => {
        const out: string[] = [];
        if (clustatMember(c, n.fqdn)?.online) out.push(`${n.fqdn} still online`);
        const st = clustatService(c, `service:${storageService(n)}`);
        if (st?.state !== 'stopped') out.push(`service:${storageService(n)} ${st?.state ?? 'missing'}`);
        out.push(
          ...p.vms
            .filter((v) => clustatService(c, `vm:${v.name}`)?.owner !== m.fqdn)
            .map((v) => `vm:${v.name} not on ${m.fqdn}`),
        );
        return out;
      },
      ACCEPT_TIMING.serviceMs,
    );
    details.withdrawn = `${n.name}: rgmanager and cman stopped; ${m.name} shows it Offline, its storage service stopped, every VM on ${m.name}`;
    await rebootAndWait(hn, ctx.log, ACCEPT_TIMING.backMs);
    await expectClustat(
      task,
      hm,
      `${n.fqdn} back: Online, rgmanager, service:${storageService(n)} started`,
      (c) => storageProblems(p, c),
      ACCEPT_TIMING.serviceMs,
    );
    await waitDrbdReady(ctx, task, hn);
    details.rejoined = `${n.name} rebooted, rejoined by itself (cman, rgmanager at boot), storage started, DRBD in sync`;
    for (const v of vmsOf(p, n)) details[`back.${v.name}`] = `to ${n.name} in ${await migrate(ctx, task, v, n)} s`;
    await expectIdeal(ctx, task, 'after the test');
    return {
      summary: `${n.name} withdrawn and rejoined; ${vmsOf(p, n).length} VM(s) migrated away and back live`,
      details,
    };
  };
}

/** Whether syslog on `h` shows a failure of `vm` within the last `windowS` seconds (node time). */
async function recentFailures(h: NodeHandle, vm: string, windowS: number): Promise<boolean> {
  const now = syslogSeconds(`${(await h.exec("date '+%b %e %H:%M:%S'")).stdout.trim()} x`);
  const r = await h.exec(`grep 'status on vm "${vm}" returned' /var/log/messages`);
  if (now === undefined || r.code !== 0) return false;
  return r.stdout.split('\n').some((l) => {
    const t = syslogSeconds(l);
    return t !== undefined && now - t >= 0 && now - t < windowS;
  });
}

/** Crash every VM until the policy relocates it (recovery="restart"), then migrate it home. */
export async function driveVmCrash(ctx: DriveContext): Promise<Evidence> {
  const task = 'acceptance.vm-crash';
  const p = ctx.plan;
  const pol = p.answers.vmService;
  const details = await startFromIdeal(ctx, task);
  if (
    !(await ctx.confirmDestructive(
      `Crash each VM with virsh destroy (${p.vms.map((v) => v.name).join(', ')}): unsaved data in the guests is lost.`,
    ))
  )
    throw new TestNotRun('the VM crash tests were not confirmed');
  // NOTE: rgmanager counts a VM's failures over restart_expire_time; failures left by an earlier,
  // interrupted attempt would make it relocate early. Let them expire, then start from ideal again.
  if (pol.recovery === 'restart') {
    const recent: string[] = [];
    for (const v of p.vms)
      for (const n of p.nodes)
        if (!recent.includes(v.name) && (await recentFailures(handleOf(ctx, n), v.name, pol.restartExpireTime)))
          recent.push(v.name);
    if (recent.length) {
      ctx.log(
        `${recent.join(', ')} failed less than ${pol.restartExpireTime} s ago: waiting for rgmanager to forget it`,
      );
      await sleep((pol.restartExpireTime + 10) * 1000);
      const again = await bringToIdeal(ctx, task);
      details.restored = [
        details.restored,
        `waited ${pol.restartExpireTime + 10} s for rgmanager to forget the failures of ${recent.join(', ')}`,
        ...again,
      ]
        .filter(Boolean)
        .join('; ');
    }
  }
  for (const v of p.vms) {
    const peer = p.peerOf(v.host);
    const crashes = pol.recovery === 'restart' ? pol.maxRestarts + 1 : 1;
    const seen: string[] = [];
    const t0 = clock().now();
    for (let k = 1; k <= crashes; k++) {
      const on = handleOf(ctx, v.host);
      const mark = await markSyslog(on);
      const r = await on.exec(`virsh destroy ${q(v.name)}`);
      if (r.code !== 0 || !r.stdout.includes(`Domain ${v.name} destroyed`))
        throw new VerifyFailed(
          task,
          v.host.name,
          `Domain ${v.name} destroyed`,
          `${r.stdout}${r.stderr}`.trim() || `exit ${r.code}`,
        );
      const relocate = pol.recovery === 'relocate' || (pol.recovery === 'restart' && k > pol.maxRestarts);
      const target = pol.recovery === 'disable' ? undefined : relocate ? peer : v.host;
      // NOTE: clustat still says "started" until rgmanager's status check notices (10 s at most,
      // 4478): wait for its recovery in the host's syslog first.
      const want =
        pol.recovery === 'disable'
          ? /is failed|disabl/
          : relocate
            ? new RegExp(`vm:${v.name} is now running on member|Restart threshold for vm:${v.name} exceeded`)
            : new RegExp(`Service vm:${v.name} started`);
      const noticed = await until(
        async () => ((await syslogSince(on, mark)).some((l) => want.test(l)) ? true : undefined),
        ACCEPT_TIMING.crashMs,
        2_000,
      );
      if (!noticed)
        throw new VerifyFailed(
          task,
          v.host.name,
          `rgmanager notices the crash of ${v.name} and recovers it (syslog)`,
          (await syslogSince(on, mark)).filter((l) => l.includes(v.name)).join(' | ') || 'nothing in syslog',
        );
      await expectClustat(
        task,
        ctx.node,
        target ? `vm:${v.name} started on ${target.fqdn} after crash ${k}` : `vm:${v.name} disabled`,
        (c) => {
          const s = clustatService(c, `vm:${v.name}`);
          if (!target) return s?.state === 'disabled' ? [] : [`vm:${v.name} ${s?.state}`];
          return s?.state === 'started' && s.owner === target.fqdn
            ? []
            : [`vm:${v.name} ${s?.state ?? 'missing'} on ${s?.owner ?? s?.lastOwner ?? '(none)'}`];
        },
        ACCEPT_TIMING.crashMs,
      );
      const log = (await syslogSince(on, mark)).filter((l) => l.includes(`vm:${v.name}`) || l.includes(`"${v.name}"`));
      if (
        relocate &&
        pol.recovery === 'restart' &&
        !log.some((l) => l.includes(`Restart threshold for vm:${v.name} exceeded`))
      )
        throw new VerifyFailed(
          task,
          v.host.name,
          `syslog: "Restart threshold for vm:${v.name} exceeded; attempting to relocate"`,
          log.join(' | ') || '(nothing)',
        );
      if (target && (await guestsOn(handleOf(ctx, p.peerOf(target)))).has(v.name))
        throw new VerifyFailed(
          task,
          p.peerOf(target).name,
          `${v.name} runs only on ${target.name}`,
          'it runs on both nodes',
        );
      seen.push(
        `crash ${k}: ${target ? (relocate ? `relocated to ${target.name}` : `restarted on ${target.name}`) : 'disabled'}`,
      );
    }
    const within = Math.round((clock().now() - t0) / 1000);
    if (pol.recovery === 'restart' && within > pol.restartExpireTime)
      throw new VerifyFailed(
        task,
        v.host.name,
        `${crashes} crashes within restart_expire_time (${pol.restartExpireTime} s)`,
        `${within} s`,
      );
    if (pol.recovery === 'disable') await ctx.node.sh(enableVm(v), { timeoutMs: 300_000 });
    else if (pol.recovery === 'relocate' || crashes > pol.maxRestarts) await migrate(ctx, task, v, v.host);
    details[v.name] = `${seen.join('; ')} (in ${within} s); back on ${v.host.name}`;
  }
  await expectIdeal(ctx, task, 'after the test');
  return {
    summary: `${p.vms.length} VMs crashed ${pol.recovery === 'restart' ? pol.maxRestarts + 1 : 1} time(s) each and recovered as the policy says`,
    details,
  };
}

/** Hang node `i`: the peer fences it and takes its VMs over; it rejoins, resyncs, its VMs go back. */
export function driveNodeCrash(i: 0 | 1) {
  return async (ctx: DriveContext): Promise<Evidence> => {
    const task = `acceptance.node-crash-node${i + 1}`;
    const p = ctx.plan;
    const n = p.nodes[i];
    const m = p.peerOf(n);
    const [hn, hm] = [handleOf(ctx, n), handleOf(ctx, m)];
    const details = await startFromIdeal(ctx, task);
    if (
      !(await ctx.confirmDestructive(
        `Hang ${n.name} (echo c > /proc/sysrq-trigger): ${m.name} must fence it and restart ${
          vmsOf(p, n)
            .map((v) => v.name)
            .join(', ') || 'its VMs'
        }.`,
      ))
    )
      throw new TestNotRun(`the crash of ${n.name} was not confirmed`);
    const mark = await markSyslog(hm);
    const t0 = clock().now();
    await hn.exec(HANG_DETACHED, { timeoutMs: 10_000 }).catch(() => undefined);
    await expectClustat(
      task,
      hm,
      `every VM started on ${m.fqdn} after ${n.name} was fenced`,
      (c) =>
        p.vms
          .filter(
            (v) =>
              clustatService(c, `vm:${v.name}`)?.state !== 'started' ||
              clustatService(c, `vm:${v.name}`)?.owner !== m.fqdn,
          )
          .map((v) => `vm:${v.name} not started on ${m.fqdn}`),
      ACCEPT_TIMING.serviceMs,
    );
    const log = await syslogSince(hm, mark);
    const fenced = log.find((l) => l.endsWith(`fence ${n.fqdn} success`));
    if (!fenced)
      throw new VerifyFailed(
        task,
        m.name,
        `syslog: "fence ${n.fqdn} success" before its VMs were taken over`,
        log.filter((l) => /fence|rgmanager/.test(l)).join(' | ') || '(nothing)',
      );
    details.takeover = `${n.name} fenced by ${m.name}; ${
      vmsOf(p, n)
        .map((v) => v.name)
        .join(', ') || 'no VM'
    } restarted on ${m.name} within ${Math.round((clock().now() - t0) / 1000)} s`;
    details.syslog = log.filter((l) => /fenced\[|Taking over|Service vm:|jid=/.test(l)).join(' | ');
    if (!(await waitForNodeBack(hn, ACCEPT_TIMING.backMs)))
      throw new VerifyFailed(
        task,
        n.name,
        `${n.name} boots again after the fence`,
        'no answer: power it on, then resume',
      );
    await expectClustat(
      task,
      hm,
      `${n.fqdn} back: Online, rgmanager, service:${storageService(n)} started`,
      (c) => storageProblems(p, c),
      ACCEPT_TIMING.serviceMs,
    );
    await waitDrbdReady(ctx, task, hn);
    details.rejoined = `${n.name} rebooted and rejoined by itself; DRBD resynced before any VM went back`;
    for (const v of vmsOf(p, n)) details[`back.${v.name}`] = `to ${n.name} in ${await migrate(ctx, task, v, n)} s`;
    await expectIdeal(ctx, task, 'after the test');
    return {
      summary: `${n.name} crashed, fenced, its VMs recovered on ${m.name}; rejoined and resynced; VMs back`,
      details,
    };
  };
}

/** Cold stop (VMs disabled, rgmanager and cman stopped, power off) and cold start of the platform. */
export async function driveColdStopStart(ctx: DriveContext): Promise<Evidence> {
  const task = 'acceptance.cold-stop-start';
  const p = ctx.plan;
  const nodes = [ctx.node, ctx.peer];
  const details = await startFromIdeal(ctx, task);
  if (
    !(await ctx.confirmDestructive(
      `Cold stop: disable every VM, stop rgmanager and cman on both nodes and power both off; then power both on within post_join_delay (${p.cluster.postJoinDelay} s).`,
    ))
  )
    throw new TestNotRun('the cold stop and start was not confirmed');
  for (const v of p.vms) {
    const r = await ctx.node.exec(`clusvcadm -d ${q(`vm:${v.name}`)}`, { timeoutMs: 600_000 });
    if (r.code !== 0)
      throw new VerifyFailed(
        task,
        ctx.node.plan.name,
        `Local machine disabling vm:${v.name}...Success`,
        `${r.stdout}${r.stderr}`.trim(),
      );
  }
  for (const h of nodes) await h.sh('/etc/init.d/rgmanager stop', { timeoutMs: 600_000 });
  for (const h of nodes) await h.sh('/etc/init.d/cman stop', { timeoutMs: 300_000 });
  // NOTE: syslog survives the power cycle: what the cold start writes comes after these marks.
  const marks = await Promise.all(nodes.map((h) => markSyslog(h)));
  for (const h of nodes)
    await h.exec(`nohup sh -c 'sleep 1; poweroff' >/dev/null 2>&1 &`, { timeoutMs: 10_000 }).catch(() => undefined);
  for (const h of nodes) {
    const off = await until(async () => ((await answers(h)) ? undefined : true), 300_000, 5_000);
    if (!off) throw new VerifyFailed(task, h.plan.name, `${h.plan.name} powered off`, 'it still answers');
  }
  details.stopped = `${p.vms.length} VMs disabled, rgmanager and cman stopped, both nodes powered off`;
  // NOTE: both nodes on within post_join_delay, from the operator's machine (the nodes are off).
  const together = { nodes: p.nodes.map((n) => n.name), postJoinDelay: p.cluster.postJoinDelay };
  await Promise.all(p.nodes.map((n) => ctx.hands.powerOn(n.name, powerOnAgents(n), together)));
  for (const h of nodes)
    if (!(await waitForNodeBack(h, ACCEPT_TIMING.backMs)))
      throw new VerifyFailed(task, h.plan.name, `${h.plan.name} boots`, 'no answer after power-on');
  await expectClustat(
    task,
    ctx.node,
    'both members online with rgmanager, storage started, every VM disabled',
    (c) => [
      ...storageProblems(p, c),
      ...p.vms
        .filter((v) => clustatService(c, `vm:${v.name}`)?.state !== 'disabled')
        .map(
          (v) => `vm:${v.name} ${clustatService(c, `vm:${v.name}`)?.state ?? 'missing'} (want disabled: autostart="0")`,
        ),
    ],
    ACCEPT_TIMING.serviceMs,
  );
  for (const [k, h] of nodes.entries()) {
    const fence = (await syslogSince(h, marks[k])).filter((l) => l.includes('fencing node'));
    if (fence.length)
      throw new VerifyFailed(
        task,
        h.plan.name,
        'no fence during the cold start (both nodes up within post_join_delay)',
        fence.join(' | '),
      );
  }
  for (const h of nodes) await waitDrbdReady(ctx, task, h);
  details.started =
    'both nodes powered on together, joined without a fence, storage services started, DRBD in sync, VMs disabled';
  for (const v of p.vms) {
    const r = await handleOf(ctx, v.host).exec(enableVm(v), { timeoutMs: 300_000 });
    if (r.code !== 0)
      throw new VerifyFailed(
        task,
        v.host.name,
        `vm:${v.name} is now running on ${v.host.fqdn}`,
        `${r.stdout}${r.stderr}`.trim(),
      );
  }
  await expectIdeal(ctx, task, 'after the cold start');
  details.enabled = `${p.vms.map((v) => `${v.name} on ${v.host.name}`).join(', ')}`;
  return { summary: 'cold stop and cold start: no fence, storage up by itself, every VM enabled on its node', details };
}

/**
 * What the fence tests left behind, read back from the nodes (the fence-tests verify): each victim's
 * fences in its survivor's syslog, one per fence method in the test order, each by the method under
 * test; a boot of the victim after each fence (its own syslog's kernel banner, and its uptime now).
 * This holds whether the tool drove the tests or the operator ran them and confirmed the gate.
 */
import type { NodeHandle, TaskContext } from '../src/engine/types.js';
import type { PlanNode } from '../src/plan/derive.js';
import { fenceTestList, type FenceTest } from './fence-test-list.js';
import { fenceProblems, fenceSeen, type FenceSeen } from './fence-drive.js';
import { MESSAGES, syslogGrep, syslogSeconds } from './syslog.js';

/**
 * The line the kernel's ring buffer puts first in syslog at each boot (rsyslog's imklog copies
 * `/proc/kmsg`: "kernel: Linux version 2.6.32-358.el6.x86_64 (mockbuild@...)"; the lab logs it at boot).
 */
export const BOOT_BANNER = 'kernel: Linux version ';

/** Every fence of `fqdn` in syslog lines, oldest first: each starts at a "fencing node" line. */
export function fenceEvents(lines: string[], fqdn: string): FenceSeen[] {
  const starts = lines.flatMap((l, i) => (l.includes(`fencing node ${fqdn}`) ? [i] : []));
  return starts.map((s, k) => fenceSeen(lines.slice(s, starts[k + 1] ?? lines.length), fqdn));
}

/** The syslog times of the boot banners in syslog lines. */
export function bootTimes(lines: string[]): number[] {
  return lines.flatMap((l) => {
    const t = l.includes(BOOT_BANNER) ? syslogSeconds(l) : undefined;
    return t === undefined ? [] : [t];
  });
}

/** When the node's running kernel booted, in syslog seconds (its `date` minus /proc/uptime). */
async function bootedAt(node: NodeHandle): Promise<{ at?: number; seen: string }> {
  const r = await node.exec(`cat /proc/uptime; date '+%b %e %H:%M:%S'`);
  const [up, now] = r.stdout.split('\n');
  const secs = Number(up?.split(' ')[0]);
  const t = syslogSeconds(`${now ?? ''} `);
  if (r.code !== 0 || !Number.isFinite(secs) || t === undefined) return { seen: r.stdout || r.stderr };
  return { at: t - Math.floor(secs), seen: `up ${Math.floor(secs)} s at ${now}` };
}

/**
 * Problems with the fences `events[first..]` taken as `tests` (one per method, in order): each by its
 * method, and a boot of the victim after each before the fence that followed it.
 */
function windowProblems(tests: FenceTest[], events: FenceSeen[], first: number, boots: number[]): string[] {
  const out: string[] = [];
  const startOf = (i: number) => (events[i]?.started ? syslogSeconds(events[i].started) : undefined);
  tests.forEach((t, k) => {
    const ev = events[first + k];
    const m = `test of method ${t.method + 1} ("${t.victim.fence[t.method].name}")`;
    for (const p of fenceProblems(t, ev)) out.push(`${m}: ${p}`);
    const from = startOf(first + k);
    const to = startOf(first + k + 1) ?? Infinity;
    // NOTE: the victim must have come back after this fence and before the next one took it away.
    if (from !== undefined && !boots.some((b) => b >= from && b < to))
      out.push(
        `${m}: no boot of ${t.victim.name} in its ${MESSAGES} after "${ev.started ?? ''}"${first + k + 1 < events.length ? ' and before the next fence' : ''}`,
      );
  });
  return out;
}

/**
 * Problems with the fence tests of `victim` as its survivor's syslog and its own show them; the
 * survivor's fence lines are returned for the evidence. Later fences (the acceptance tests crash
 * nodes again) do not hide the tests: the latest run of consecutive fences that passes counts.
 */
async function victimProblems(ctx: TaskContext, victim: PlanNode): Promise<{ problems: string[]; seen: string[] }> {
  const tests = fenceTestList(ctx.plan).filter((t) => t.victim.name === victim.name);
  if (!tests.length) return { problems: [], seen: [] };
  const byName = (name: string) => (ctx.node.plan.name === name ? ctx.node : ctx.peer);
  const survivor = tests[0].survivor;
  const fenceLines = (await syslogGrep(byName(survivor.name), 'fenc')).filter((l) => l.includes(victim.fqdn));
  const events = fenceEvents(fenceLines, victim.fqdn);
  const where = `${survivor.name}'s ${MESSAGES}`;
  if (events.length < tests.length)
    return {
      problems: [
        `${tests.length} fences of ${victim.fqdn} expected in ${where} (one per method), found ${events.length}: ${fenceLines.slice(-3 * tests.length).join(' | ') || '(no fence lines)'}`,
      ],
      seen: fenceLines,
    };
  const boots = bootTimes(await syslogGrep(byName(victim.name), BOOT_BANNER));
  let first = events.length - tests.length;
  let problems = windowProblems(tests, events, first, boots);
  for (let f = first - 1; problems.length && f >= 0; f--)
    if (!windowProblems(tests, events, f, boots).length) {
      first = f;
      problems = [];
    }
  const used = events.slice(first, first + tests.length);
  const seen = used.flatMap((e) => [e.started ?? '', ...e.errors, e.success ?? '']).filter(Boolean);
  const last = used.at(-1)?.started;
  const now = await bootedAt(byName(victim.name));
  if (now.at === undefined) problems.push(`${victim.name}: cannot read its uptime (${now.seen})`);
  else if (last !== undefined && now.at < (syslogSeconds(last) ?? 0))
    problems.push(`${victim.name} has not rebooted since its last fence (${last}): ${now.seen}`);
  if (problems.length) problems.push(`fence lines of ${victim.fqdn} in ${where}: ${seen.join(' | ')}`);
  return { problems, seen };
}

/** Problems with every victim's fence tests, and the fence lines read. */
export async function fenceTestEvidence(ctx: TaskContext): Promise<{ problems: string[]; seen: string[] }> {
  const out = { problems: [] as string[], seen: [] as string[] };
  for (const v of ctx.plan.nodes) {
    const r = await victimProblems(ctx, v);
    out.problems.push(...r.problems);
    out.seen.push(...r.seen);
  }
  return out;
}

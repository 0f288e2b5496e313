/**
 * The fence tests, run by the tool (tutorial "Testing Fencing"): for each node and each of its fence
 * methods, check both nodes are members and every fence device of the victim answers a read-only
 * status, then hang the victim (first method) or cut its power with the method's devices from the
 * survivor (later methods), watch the survivor's syslog for the fence, its method and its result,
 * wait for the victim to come back, start cman on it and wait for both nodes to be members again.
 */
import type { DriveContext, Evidence, NodeHandle } from '../src/engine/types.js';
import type { Plan } from '../src/plan/derive.js';
import { TestNotRun, VerifyFailed } from '../src/errors.js';
import { clock } from '../src/util/clock.js';
import { fenceTestList, type FenceTest } from './fence-test-list.js';
import { markSyslog, syslogSince, syslogSeconds } from './syslog.js';
import {
  answers,
  ensureBothMembers,
  ensureNodesUp,
  handleOf,
  runAgent,
  until,
  waitForNodeBack,
  waitNoResync,
} from './cluster-ops.js';
import { parseAgentAction, parseAgentStatus } from '../src/verify/fence-agent.js';

const TASK = 'fence-tests.run';

/** How long the tool waits for a fence to succeed and for a victim to come back (install clock). */
export const FENCE_TIMING = { fenceMs: 300_000, backMs: 900_000 };

/** The hang, detached so the command returns before the kernel stops. */
export const HANG_DETACHED = `nohup sh -c 'sleep 1; echo c > /proc/sysrq-trigger' >/dev/null 2>&1 &`;

/** What the survivor's syslog said about one fence. */
export interface FenceSeen {
  started?: string;
  success?: string;
  /** `fence <victim> dev M.D agent A result: error from agent` lines, in order. */
  errors: string[];
  /** Seconds from "fencing node" to "success", by the syslog's own times. */
  seconds?: number;
}

/** Read the fence of `fqdn` out of syslog lines. */
export function fenceSeen(lines: string[], fqdn: string): FenceSeen {
  const seen: FenceSeen = { errors: [] };
  for (const l of lines) {
    if (!seen.started && l.includes(`fencing node ${fqdn}`)) seen.started = l;
    else if (
      seen.started &&
      !seen.success &&
      l.includes(`fence ${fqdn} dev `) &&
      l.includes('result: error from agent')
    )
      seen.errors.push(l);
    else if (seen.started && !seen.success && l.endsWith(`fence ${fqdn} success`)) seen.success = l;
  }
  if (seen.started && seen.success) {
    const a = syslogSeconds(seen.started);
    const b = syslogSeconds(seen.success);
    if (a !== undefined && b !== undefined) seen.seconds = b - a;
  }
  return seen;
}

/** The method index an error line names (`dev 0.0` → 0). */
const errorMethod = (line: string): number => Number(/ dev (\d+)\.\d+ /.exec(line)?.[1] ?? -1);

/** Problems with a fence that should have used method `t.method`. */
export function fenceProblems(t: FenceTest, seen: FenceSeen): string[] {
  const out: string[] = [];
  if (!seen.started) return [`no "fencing node ${t.victim.fqdn}" in ${t.survivor.name}'s syslog`];
  if (!seen.success) return [`no "fence ${t.victim.fqdn} success" in ${t.survivor.name}'s syslog`];
  const failed = seen.errors.map(errorMethod);
  for (let m = 0; m < t.method; m++)
    if (!failed.includes(m))
      out.push(
        `method ${m + 1} ("${t.victim.fence[m].name}") did not fail first although the power was cut: is ${t.victim.name}'s BMC really powered from the outlet?`,
      );
  if (failed.includes(t.method) || failed.some((m) => m > t.method))
    out.push(
      `method ${t.method + 1} ("${t.victim.fence[t.method].name}") failed: ${seen.errors.filter((l) => errorMethod(l) >= t.method).join(' / ')}`,
    );
  return out;
}

/** Read-only `status` of every device of every method of the victim, from the survivor. */
async function preCheck(p: Plan, t: FenceTest, survivor: NodeHandle): Promise<string[]> {
  const out: string[] = [];
  for (const [mi, m] of t.victim.fence.entries())
    for (const d of m.devices) {
      const r = await runAgent(survivor, d.device, d.port, 'status');
      const where = `${d.device.agent} ${d.device.name}${d.port !== undefined ? ` port ${d.port}` : ''} (method ${mi + 1} "${m.name}" of ${t.victim.name})`;
      // NOTE: the python agents print "Status: ON"; fence_ipmilan 3.1 (C) "Chassis power = On" (src/verify/fence-agent.ts).
      const st = parseAgentStatus(r.code, r.out);
      if (st.power !== 'on')
        throw new VerifyFailed(
          TASK,
          t.survivor.name,
          `${where} reports the power on before the test`,
          st.power === 'off' ? `${st.line} (exit code ${r.code})` : r.out || `exit code ${r.code}`,
        );
      out.push(`${where}: ${st.line}`);
    }
  void p;
  return out;
}

/** Run one fence test; returns its evidence line and the syslog lines seen. */
async function runOne(ctx: DriveContext, t: FenceTest, k: number): Promise<{ line: string; syslog: string[] }> {
  const victim = handleOf(ctx, t.victim.name);
  const survivor = handleOf(ctx, t.survivor.name);
  const m = t.victim.fence[t.method];
  // NOTE: never while the peer is not a member or DRBD resyncs: the survivor must hold good data alone.
  await ensureBothMembers(ctx, [ctx.node, ctx.peer]);
  await waitNoResync(ctx, TASK);
  const pre = await preCheck(ctx.plan, t, survivor);
  const act =
    t.method === 0
      ? `hang ${t.victim.name}'s kernel (echo c > /proc/sysrq-trigger)`
      : `cut ${t.victim.name}'s power from ${t.survivor.name}: ${m.devices.map((d) => `${d.device.name}${d.port !== undefined ? ` outlet ${d.port}` : ''} off`).join(', ')}`;
  if (
    !(await ctx.confirmDestructive(
      `Fence test ${k + 1}: ${act}. ${t.victim.name} will crash or lose power; ${t.survivor.name} must fence it with method "${m.name}". Checked: ${pre.join('; ')}`,
    ))
  )
    throw new TestNotRun(`fence test ${k + 1} (${act}) was not confirmed`);
  const mark = await markSyslog(survivor);
  const t0 = clock().now();
  ctx.log(`test ${k + 1}: ${act}`);
  if (t.method === 0) {
    // NOTE: the session to the victim dies with its kernel; a lost connection here is the expected outcome.
    await victim.exec(HANG_DETACHED, { timeoutMs: 10_000 }).catch(() => undefined);
  } else {
    for (const d of m.devices) {
      const r = await runAgent(survivor, d.device, d.port, 'off').catch((e: Error) => ({ code: -1, out: e.message }));
      // NOTE: "Success: Powered OFF" (python agents, fence_ipmilan 4.x) or "...Done" (fence_ipmilan 3.1).
      if (!parseAgentAction('off', r.code, r.out).ok) {
        const lost = !(await answers(survivor));
        throw new VerifyFailed(
          TASK,
          t.survivor.name,
          `${d.device.agent} ${d.device.name}${d.port !== undefined ? ` outlet ${d.port}` : ''} off: "Success: Powered OFF" and ${t.victim.name} without power`,
          lost
            ? `${t.survivor.name} itself lost power when ${d.device.name}${d.port !== undefined ? ` outlet ${d.port}` : ''} was cut: that outlet feeds ${t.survivor.name}, not ${t.victim.name} (check the PDU cabling and the port numbers in the answers)`
            : r.out || `exit code ${r.code}`,
        );
      }
    }
    // NOTE: a miswired outlet cuts some other machine: the victim must really have lost its power.
    const down = await until(async () => ((await answers(victim)) ? undefined : true), 30_000, 2_000);
    if (!down)
      throw new VerifyFailed(
        TASK,
        t.victim.name,
        `${t.victim.name} loses power when ${m.devices.map((d) => `${d.device.name}${d.port !== undefined ? ` outlet ${d.port}` : ''}`).join(' and ')} ${m.devices.length > 1 ? 'are' : 'is'} cut`,
        `${t.victim.name} still answers: the outlet${m.devices.length > 1 ? 's do' : ' does'} not feed it (check the PDU cabling and the port numbers in the answers)`,
      );
  }
  const seen = await until(async () => {
    if (!(await answers(survivor)))
      throw new VerifyFailed(
        TASK,
        t.survivor.name,
        `${t.survivor.name} keeps running while ${t.victim.name} is fenced`,
        `${t.survivor.name} stopped answering: did the fence device or outlet cut the wrong node? Check the outlet numbers against the cabling`,
      );
    const s = fenceSeen(await syslogSince(survivor, mark), t.victim.fqdn);
    return s.success ? s : undefined;
  }, FENCE_TIMING.fenceMs);
  const lines = await syslogSince(survivor, mark);
  const final = seen ?? fenceSeen(lines, t.victim.fqdn);
  const relevant = lines.filter((l) => /fenced\[|fencing node|dlm: closing|A processor failed|Members\[/.test(l));
  const problems = fenceProblems(t, final);
  if (problems.length)
    throw new VerifyFailed(
      TASK,
      t.survivor.name,
      `fence test ${k + 1}: ${t.victim.fqdn} fenced with method "${m.name}"`,
      `${problems.join('; ')}. Syslog: ${relevant.join(' | ') || '(nothing)'}`,
    );
  const fencedIn = final.seconds ?? Math.round((clock().now() - t0) / 1000);
  if (!(await waitForNodeBack(victim, FENCE_TIMING.backMs)))
    throw new VerifyFailed(
      TASK,
      t.victim.name,
      `${t.victim.name} boots again after the fence`,
      `no answer within ${FENCE_TIMING.backMs / 60_000} minutes: power it on (check the BIOS "power on after AC loss" setting), then resume`,
    );
  await ensureBothMembers(ctx, [ctx.node, ctx.peer]);
  const line = `${act}: fenced by ${t.survivor.name} with method "${m.name}" (${m.devices.map((d) => d.device.agent).join('+')}) in ${fencedIn} s${final.errors.length ? ` after ${final.errors.length} failed attempt${final.errors.length > 1 ? 's' : ''} of earlier methods` : ''}; back and a member again`;
  return { line, syslog: relevant };
}

/** Drive every fence test of the plan; the evidence has one line per test plus its syslog lines. */
export async function driveFenceTests(ctx: DriveContext): Promise<Evidence> {
  const tests = fenceTestList(ctx.plan);
  const details: Record<string, string> = {};
  // NOTE: an interrupted attempt may have left the victim hung, rebooting or without power.
  const restored = await ensureNodesUp(ctx, TASK);
  if (restored.length) details.restored = restored.join('; ');
  for (const [k, t] of tests.entries()) {
    const r = await runOne(ctx, t, k);
    details[`test${k + 1}`] = r.line;
    details[`test${k + 1}.syslog`] = r.syslog.join(' | ');
  }
  return {
    summary: `${tests.length} fence tests passed (${tests.map((t) => `${t.victim.name}/${t.victim.fence[t.method].name}`).join(', ')})`,
    details,
  };
}

/**
 * Testing fencing: from each node against the other, one test per fence method. The first method
 * is exercised by hanging the victim's kernel; each later method by cutting the victim's power with
 * that method's device(s), which also kills its IPMI BMC so the earlier method fails first.
 */
import type { Step, TaskContext, TestTable } from '../src/engine/types.js';
import { parseProcDrbd } from '../src/verify/proc-drbd.js';
import type { Plan } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { parseCmanStatus, cmanProblems } from '../src/verify/cman-status.js';
import { driveFenceTests } from './fence-drive.js';
import { fenceTestEvidence } from './fence-evidence.js';
import { HANG, fenceTestList } from './fence-test-list.js';

// NOTE: the list lives in its own module so that fence-drive.ts can read it without importing the step.
export { HANG, fenceTestList, type FenceTest } from './fence-test-list.js';

/**
 * Why the fence tests must not start now (`--retest fence-tests`), or undefined: each test takes a
 * node away, so both must be members (else the test fences the only one left) and no DRBD resource
 * may be resyncing (the node fenced could be the only UpToDate copy).
 */
async function fenceUnsafe(ctx: TaskContext): Promise<string | undefined> {
  const seen: string[] = [];
  for (const n of [ctx.node, ctx.peer]) {
    const r = await n.exec('cman_tool status');
    const problems =
      r.code === 0
        ? cmanProblems(parseCmanStatus(r.stdout), { clusterName: ctx.plan.cluster.name, nodeName: n.plan.fqdn })
        : ['cman not running'];
    if (problems.length) seen.push(`${n.plan.name} is not a full member (${problems.join(', ')})`);
    const proc = await n.exec('cat /proc/drbd');
    const syncing = proc.code === 0 ? parseProcDrbd(proc.stdout).minors.filter((m) => /Sync/.test(m.cs)) : [];
    if (syncing.length)
      seen.push(`${n.plan.name}: DRBD resyncing (${syncing.map((m) => `minor ${m.minor} ${m.cs}`).join(', ')})`);
  }
  return seen.length ? `${seen.join('; ')}: wait until both nodes are members and DRBD is in sync` : undefined;
}

/** The four-test table of the tutorial (Test | Victim | Pass?), built from the fence methods. */
export function fenceTestTable(p: Plan): TestTable {
  return {
    title: 'Fence tests',
    columns: ['Test', 'Victim', 'Pass?'],
    rows: fenceTestList(p).map((t) => [t.commands.join(' && '), t.victim.name, 'Yes / No']),
  };
}

/** The fence tests as the approval screen lists them: `N. victim · method · where: the exact command` (passwords masked). */
export function fenceTestActs(p: Plan): string[] {
  return fenceTestList(p).map((t, k) => {
    const m = t.victim.fence[t.method];
    const how = t.method === 0 ? 'hang' : 'power cut';
    return `${k + 1}. ${t.victim.name} · ${t.method + 1} "${m.name}" ${how} · ${t.runOn.name}: ${t.commands.join(' && ')}`;
  });
}

function checklist(p: Plan): string[] {
  const out = [
    `cman runs on both nodes: \`cman_tool status\` shows "Nodes: 2" on ${p.nodes.map((n) => n.name).join(' and ')}`,
    'On each node, open a second terminal watching syslog: `clear; tail -f -n 0 /var/log/messages`',
  ];
  fenceTestList(p).forEach((t, k) => {
    const m = t.victim.fence[t.method];
    const first = t.victim.fence[0]?.devices[0]?.device.agent ?? 'the first agent';
    if (t.method === 0)
      out.push(
        `Test ${k + 1} (method "${m.name}"): on ${t.victim.name} run \`${HANG}\` (it never returns); ${t.survivor.name}'s syslog shows "fencing node ${t.victim.fqdn}" then "fence ${t.victim.fqdn} success" with NO "fence ${t.victim.fqdn} dev 0.0 agent ${m.devices[0]?.device.agent ?? first} result: error from agent" line (that line means the first method failed and a later one rescued it), the PDU outlet does not power-cycle, and ${t.victim.name} reboots`,
      );
    else
      out.push(
        `Test ${k + 1} (method "${m.name}"): from ${t.survivor.name} cut ${t.victim.name}'s power: ${t.commands.map((c) => `\`${c}\``).join(' then ')} ("Success: Powered OFF"); ${t.survivor.name}'s syslog shows "fence ${t.victim.fqdn} dev 0.0 agent ${first} result: error from agent" then "fence ${t.victim.fqdn} success"`,
      );
    out.push(
      `After ${t.victim.name} is recovered (power it back on if needed), restart cman on the recovered node before the next test: \`/etc/init.d/cman start\``,
    );
  });
  return out;
}

export const fenceTests: Step = {
  id: 'fence-tests',
  title: 'Testing fencing',
  ifSkipped:
    'fencing stays untested: the install goes on, but an unproven fence configuration can hang the cluster or lose data in a real failure',
  doc:
    'Should the cluster call a fence and the fence fail, the cluster hangs until a fence finally succeeds; there is no ' +
    'way to abort a fence, so problems must be found now. Each node is fenced by the other with every method: hanging ' +
    'the kernel with `echo c > /proc/sysrq-trigger` exercises the first method (IPMI in the tutorial: the PDU port should ' +
    'not power-cycle). Cutting the power simulates a failed power supply: the IPMI BMC draws its power from the same ' +
    'supply, so the first method fails and the cluster must fall back to the switched PDU. The fence call only needs to ' +
    'confirm the node is off; whether it restarts afterwards does not matter to the cluster.',
  warnings: [
    '`echo c > /proc/sysrq-trigger` will not return and you will lose all ability to talk to this node until it is rebooted.',
    'After the lost node is recovered, remember to restart cman before starting the next test.',
  ],
  tasks: [
    {
      id: 'fence-tests.run',
      title: 'Fence each node with each of its fence methods',
      on: 'node1',
      kind: 'gate',
      disrupts:
        'crashes and powers off each node in turn (it is fenced and reboots): nothing else may run on the nodes',
      gate: {
        instruct: (p) =>
          [
            `Run the ${fenceTestList(p).length} fence tests below, one at a time, watching syslog on the surviving node.`,
            'A hang tests the first fence method; a power cut tests the next one (the first must fail with "error from agent", then the next succeeds).',
            `Watch syslog (\`tail -f -n 0 /var/log/messages\`) on the survivor for "fencing node <victim>" and then ${p.nodes.map((n) => `"fence ${n.fqdn} success"`).join(' / ')}.`,
            'Passwords are shown as ******** in the commands: type the real one.',
            'After each test, once the victim is back up, start cman on it again before the next test.',
          ].join('\n'),
        checklist,
        tables: (p) => [fenceTestTable(p)],
        acts: fenceTestActs,
        actsHeading: 'the tests, in order (victim · method · run on: command)',
        drive: driveFenceTests,
        unsafe: fenceUnsafe,
      },
      expect: (p) => [
        ...fenceTestList(p).map(
          (t, k) =>
            `test ${k + 1}: ${t.survivor.name}'s /var/log/messages shows "fencing node ${t.victim.fqdn}" then "fence ${t.victim.fqdn} success"${t.method ? ' after an "error from agent" of each earlier method' : ' with no "error from agent"'}, and ${t.victim.name} booted after it`,
        ),
        'both nodes are cluster members again (cman_tool status: Nodes: 2) after the last test',
      ],
      async verify(ctx) {
        const seen: string[] = [];
        for (const n of [ctx.node, ctx.peer]) {
          const r = await n.exec('cman_tool status');
          const problems =
            r.code === 0
              ? cmanProblems(parseCmanStatus(r.stdout), { clusterName: ctx.plan.cluster.name, nodeName: n.plan.fqdn })
              : ['cman not running'];
          if (problems.length) seen.push(`${n.plan.name}: ${problems.join(', ')}`);
        }
        // NOTE: membership alone passes with no test run at all (review §1 row 1): read each fence back.
        const ev = await fenceTestEvidence(ctx);
        seen.push(...ev.problems);
        if (seen.length)
          throw new VerifyFailed(
            'fence-tests.run',
            ctx.node.plan.name,
            'each node fenced once per method by the method under test, booted after each fence, both back in the cluster (Nodes: 2)',
            seen.join('; '),
          );
        return {
          summary: `${fenceTestList(ctx.plan).length} fences seen in syslog, each victim rebooted; both nodes back in the cluster`,
          details: { fences: ev.seen.join(' | ') },
        };
      },
    },
  ],
};

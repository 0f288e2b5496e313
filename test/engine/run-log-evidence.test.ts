/** install.log keeps what each task saw: every verify's summary, and every detail of a test's evidence. */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../../src/engine/types.js';
import { RunLog, RUN_LOG_FILE } from '../../src/engine/run-log.js';
import { labHands } from '../../src/engine/hands.js';
import { makeWorld, runIn, SECRETS, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const steps: Step[] = [
  {
    id: 'prep',
    title: 'Prepare',
    doc: 'a safe task',
    tasks: [
      {
        id: 'prep.start',
        title: 'Start',
        on: 'both',
        kind: 'safe',
        commands: () => ['demo-start'],
        verify: async (ctx) => ({ summary: `demo running on ${ctx.node.plan.name}`, details: { pid: 42 } }),
      },
    ],
  },
  {
    id: 'tests',
    title: 'Tests',
    doc: 'a test the tool drives',
    tasks: [
      {
        id: 'tests.run',
        title: 'Fence each node',
        on: 'node1',
        kind: 'gate',
        gate: {
          instruct: () => 'hang each node',
          drive: async () => ({
            summary: '2 fence tests passed',
            details: {
              test1: 'hang kvm-a: fenced by kvm-b with method "ipmi" in 15 s',
              'test1.syslog': `fenced[1020]: fencing node kvm-a | fence kvm-a success (password ${SECRETS.ILO_PW})`,
              test2: 'hang kvm-b: fenced by kvm-a with method "ipmi" in 16 s',
            },
          }),
        },
      },
    ],
  },
];

describe('install.log and the evidence', () => {
  it("keeps each verify's summary and a test's every detail, secrets masked", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const runLog = new RunLog(dir, Object.values(SECRETS), 'test');
    const r = await runIn(dir, {
      transports: makeWorld().transports,
      steps,
      yes: true,
      hands: labHands(async () => {}),
      runLog,
    });
    runLog.close('done');
    expect(r.outcome).toBe('complete');
    const log = readFileSync(join(dir, RUN_LOG_FILE), 'utf8');
    expect(log).toMatch(/ {2}evidence of prep\.start on kvm-a: demo running on kvm-a\n/);
    expect(log).toMatch(/ {2}evidence of prep\.start on kvm-b: demo running on kvm-b\n/);
    // a verify's details stay in the state file; a test's are in the log, one per line
    expect(log).not.toContain('pid: 42');
    expect(log).toMatch(/ {2}evidence of tests\.run on kvm-a: 2 fence tests passed\n/);
    expect(log).toMatch(/ {4}- test1: hang kvm-a: fenced by kvm-b with method "ipmi" in 15 s\n/);
    expect(log).toMatch(
      / {4}- test1\.syslog: fenced\[1020\]: fencing node kvm-a \| fence kvm-a success \(password \*+\)\n/,
    );
    expect(log).toMatch(/ {4}- test2: hang kvm-b: fenced by kvm-a with method "ipmi" in 16 s\n/);
    expect(log).not.toContain(SECRETS.ILO_PW);
  });
});

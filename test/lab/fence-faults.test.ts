/**
 * The fence tests run by the tool on the lab, against the faults an operator meets on a bad day: a
 * BMC that does not answer, a dead PDU, an outlet cabled to the wrong node. Each stops the install
 * with the failure named (device, node, what was seen), and the test is not recorded as passed.
 * The shared install's checkpoint after the cluster foundation is copied for each case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli-process.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { copyCheckpoint } from '../helpers/checkpoints.js';

const ANSWERS = join(ROOT, 'examples', 'tutorial.anvil.yaml');
const env = { ...process.env, CI: 'true' };
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'anvil-fence-faults-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Copy the base lab, inject a fault, run the fence tests; the CLI result and the gate's record. */
async function withFault(name: string, fault: string[]) {
  const state = join(work, name);
  copyCheckpoint('cluster-foundation', state);
  const f = await runCli(['lab', 'fault', ...fault, '--state', join(state, 'lab')], { cwd: work, env });
  expect(f.code, f.stderr).toBe(0);
  const r = await runCli(
    ['install', '--lab', '--yes', '--answers', ANSWERS, '--state', state, '--only', 'fence-tests'],
    { cwd: work, env },
  );
  const st = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as {
    tasks: Record<string, Record<string, { status: string }>>;
  };
  return { r, status: st.tasks['fence-tests.run']?.['an-node01']?.status };
}

describe('fence tests against faults', () => {
  it(
    'a BMC that does not answer: stopped before anything is crashed, naming the device',
    { timeout: 120_000 },
    async () => {
      const { r, status } = await withFault('bmc', ['bmc', 'an-node01', 'down']);
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr + r.stdout).toMatch(
        /fence_ipmilan ipmi_an01 \(method 1 "ipmi" of an-node01\) reports the power on before the test; saw Getting status of IPMI:an-node01.ipmi...Chassis power = Unknown/,
      );
      expect(status).toBe('failed');
    },
  );

  it(
    'a dead PDU: stopped before anything is crashed, naming the PDU and the outlet',
    { timeout: 120_000 },
    async () => {
      const { r, status } = await withFault('pdu', ['pdu', 'pdu2', 'down']);
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr + r.stdout).toMatch(
        /fence_apc_snmp pdu2 port 1 \(method 2 "pdu" of an-node01\) reports the power on before the test/,
      );
      expect(status).toBe('failed');
    },
  );

  it(
    'an outlet cabled to the other node: the power test fails, saying the outlet does not feed the victim',
    { timeout: 180_000 },
    async () => {
      const { r, status } = await withFault('outlet', ['outlet', 'pdu2', '1', 'an-node02']);
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr + r.stdout).toMatch(
        /an-node01 loses power when pdu2 outlet 1 is cut; saw .*(the outlet does not feed it|that outlet feeds an-node02)/,
      );
      expect(status).toBe('failed');
    },
  );
});

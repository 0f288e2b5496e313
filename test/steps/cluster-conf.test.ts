import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import { nodesFor, stepWarnings } from '../../src/engine/types.js';
import {
  chooseVersion,
  confBody,
  fenceAgentCommand,
  humanMs,
  laterStage,
  renderClusterConf,
  stageOf,
  waitFor,
} from '../../steps/cluster-conf.js';
import { clusterFoundation } from '../../steps/cluster-foundation.js';
import { fenceTests } from '../../steps/fence-tests.js';
import { netTests } from '../../steps/net-tests.js';
import { storageServices } from '../../steps/storage-services.js';
import { vmServices } from '../../steps/vm-services.js';
import { acceptance } from '../../steps/acceptance.js';

const ENV = { ILO_PW: 'Il0-Pa55w0rd', RICCI_PW: 'R1cci-S3cret!' };
const other = derivePlan(loadAnswers('test/fixtures/other.anvil.yaml', ENV));
const MINE = [clusterFoundation, fenceTests, netTests, storageServices, vmServices, acceptance];

describe('config_version rule', () => {
  it('uses the plan before cman runs, raises above the running version, keeps an active identical config', () => {
    expect(chooseVersion(7, undefined)).toBe(7);
    expect(chooseVersion(10, 7, { version: 7, same: false })).toBe(10);
    expect(chooseVersion(10, 10, { version: 10, same: false })).toBe(11);
    expect(chooseVersion(10, 10, { version: 10, same: true })).toBe(10);
    expect(chooseVersion(7, 12, { version: 12, same: false })).toBe(13);
    expect(chooseVersion(10, 12, { version: 11, same: true })).toBe(13);
  });

  it('compares configurations regardless of version and whitespace, and knows their stage', () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const v12 = renderClusterConf(p, 'vms', 12);
    expect(confBody(v12)).toBe(
      confBody(renderClusterConf(p, 'vms', 99).replace(/\t/g, '    ').replace(/"\/>/g, '" />')),
    );
    expect(confBody(v12)).not.toBe(confBody(renderClusterConf(p, 'storage', 12)));
    expect(['foundation', 'storage', 'vms'].map((s) => stageOf(renderClusterConf(p, s as 'vms')))).toEqual([
      'foundation',
      'storage',
      'vms',
    ]);
    expect(laterStage('foundation', 'vms')).toBe('vms');
    expect(laterStage('storage', 'foundation')).toBe('storage');
  });
});

describe('helpers', () => {
  it('writes fence agent calls with the password masked', () => {
    const d = other.answers.fencing.devices[0];
    expect(fenceAgentCommand(d, undefined, 'on')).toBe('fence_ilo -a kvm-a.ipmi -l admin -p ******** -o on');
    expect(fenceAgentCommand({ name: 'x', agent: 'fence_apc_snmp', ipaddr: 'pdu 1' }, 7, 'off')).toBe(
      "fence_apc_snmp -a 'pdu 1' -n 7 -o off",
    );
  });

  it('words delays as the tutorial does', () => {
    expect([humanMs(120000), humanMs(60000), humanMs(90000), humanMs(1000)]).toEqual([
      '2 minutes',
      '1 minute',
      '90 seconds',
      '1 second',
    ]);
  });

  it('waits for a probe and gives up with what it waited for', async () => {
    let n = 0;
    await expect(
      waitFor(async () => (++n >= 3 ? 'ok' : undefined), { timeoutMs: 60_000, intervalMs: 1, what: 'x' }),
    ).resolves.toBe('ok');
    await expect(
      waitFor(async () => undefined, { timeoutMs: 0, intervalMs: 1, what: 'service:storage_an01 to start' }),
    ).rejects.toThrow('timed out after 0 s waiting for service:storage_an01 to start');
  });
});

describe('secrets', () => {
  it('never appear in commands, expectations, gates or docs of the cluster steps', () => {
    const secrets = [ENV.ILO_PW, ENV.RICCI_PW];
    const seen: string[] = [];
    const p: Plan = other;
    for (const s of MINE) {
      seen.push(s.doc, ...stepWarnings(s, p));
      for (const t of s.tasks) {
        for (const n of t.on === 'local' ? [p.nodes[0]] : nodesFor(p, t.on)) {
          seen.push(...(t.commands?.(p, n) ?? []), ...(t.expect?.(p, n) ?? []), t.expectedOutput?.(p, n) ?? '');
          for (const f of t.files?.(p, n) ?? []) expect(f.secret, `${t.id} ${f.path}`).toBe(true);
        }
        if (t.gate)
          seen.push(
            t.gate.instruct(p),
            ...(t.gate.checklist?.(p) ?? []),
            ...(t.gate.tables?.(p) ?? []).flatMap((x) => x.rows.flat()),
          );
      }
    }
    const text = seen.join('\n');
    expect(text.length).toBeGreaterThan(5000);
    for (const s of secrets) expect(text).not.toContain(s);
    // ...while the file on the node does carry the fence password.
    expect(renderClusterConf(p, 'foundation')).toContain(ENV.ILO_PW);
  });

  it('every executable task has a verify', () => {
    for (const s of MINE) for (const t of s.tasks) expect(t.verify, t.id).toBeTypeOf('function');
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cmanProblems, parseCmanStatus } from '../../src/verify/cman-status.js';
import { parseCmanVersion } from '../../src/verify/cman-version.js';
import { parseCcsValidate } from '../../src/verify/ccs-config-validate.js';

const fx = (f: string) => readFileSync(`test/fixtures/cluster-tools/${f}`, 'utf8');

describe('cman_tool status', () => {
  it("parses the tutorial's first status (config 7, two nodes)", () => {
    const s = parseCmanStatus(fx('cman-status-v7.txt'));
    expect(s).toMatchObject({
      version: '6.2.0',
      configVersion: 7,
      clusterName: 'an-cluster-A',
      clusterId: 24561,
      clusterMember: true,
      generation: 8,
      membershipState: 'Cluster-Member',
      nodes: 2,
      expectedVotes: 1,
      totalVotes: 2,
      nodeVotes: 1,
      quorum: 1,
      activeSubsystems: 7,
      flags: ['2node'],
      portsBound: [0],
      nodeName: 'an-node01.alteeve.ca',
      nodeId: 1,
      multicastAddresses: ['239.192.95.81'],
      nodeAddresses: ['10.20.0.1'],
    });
    expect(
      cmanProblems(s, { clusterName: 'an-cluster-A', nodeName: 'an-node01.alteeve.ca', minConfigVersion: 7 }),
    ).toEqual([]);
  });

  it('names every way a member can be unhealthy', () => {
    const lone = fx('cman-status-v7.txt')
      .replace('Nodes: 2', 'Nodes: 1')
      .replace('Flags: 2node ', 'Flags: ')
      .replace('Cluster-Member', 'Transition');
    expect(
      cmanProblems(parseCmanStatus(lone), {
        clusterName: 'other',
        nodeName: 'an-node02.alteeve.ca',
        minConfigVersion: 10,
      }),
    ).toEqual([
      'Cluster Name an-cluster-A (want other)',
      'Node name an-node01.alteeve.ca (want an-node02.alteeve.ca)',
      'Membership state Transition',
      'Nodes: 1 (want 2)',
      'Flags: (none) (want 2node)',
      'Config Version 7 (want >= 10)',
    ]);
  });

  it('reads several flags and an empty text', () => {
    expect(parseCmanStatus('Flags: 2node Quorate \n').flags).toEqual(['2node', 'Quorate']);
    const empty = parseCmanStatus('');
    expect(empty.nodes).toBeUndefined();
    expect(cmanProblems(empty, { clusterName: 'x' })).toHaveLength(4);
  });
});

describe('cman_tool version', () => {
  it('reads "6.2.0 config 10"', () => {
    expect(parseCmanVersion(fx('cman-version-10.txt'))).toEqual({ version: '6.2.0', config: 10 });
    expect(parseCmanVersion('6.2.0 config 12\n')).toEqual({ version: '6.2.0', config: 12 });
  });
  it('is undefined when cman is not running', () => {
    expect(parseCmanVersion('cman_tool: Cannot open connection to cman, is it running ?')).toBeUndefined();
  });
});

describe('ccs_config_validate', () => {
  it('accepts "Configuration validates" with exit 0 only', () => {
    expect(parseCcsValidate('Configuration validates\n', 0)).toEqual({ valid: true, errors: [] });
    expect(parseCcsValidate('Configuration validates\n', 1).valid).toBe(false);
  });
  it('keeps the error lines of a failure', () => {
    const out =
      'Relax-NG validity error : Extra element fence_deamon in interleave\ntempfile:22: element fence_deamon: Relax-NG validity error : Element cluster failed to validate content\nConfiguration fails to validate\n';
    const v = parseCcsValidate(out, 3);
    expect(v.valid).toBe(false);
    expect(v.errors).toHaveLength(3);
    expect(v.errors[2]).toBe('Configuration fails to validate');
  });
});

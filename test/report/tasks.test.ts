import { describe, expect, it } from 'vitest';
import { taskView, stepViews, groupByValue, fmtMode } from '../../src/report/tasks.js';
import { contentOf } from '../../src/engine/walk.js';
import { SAMPLE_STEPS } from './sample-steps.js';
import { plans, OTHER, OTHER_ENV, OTHER_SECRETS, TUTORIAL } from './helpers.js';

const byId = (id: string) => SAMPLE_STEPS.flatMap((s) => s.tasks).find((t) => t.id === id)!;

describe('task views', () => {
  const { plan, masked } = plans(OTHER, OTHER_ENV);

  it('shows a file identical on both nodes once, with mode and backup', () => {
    const v = taskView(masked, byId('sample.hosts'), '1.1');
    expect(v.nodes).toEqual(['kvm-a', 'kvm-b']);
    expect(v.files).toHaveLength(1);
    const f = v.files[0];
    expect([f.path, f.mode, f.backup, f.secret]).toEqual(['/etc/hosts', '0644', 'copy in /etc/hosts.orig', false]);
    expect(f.variants).toEqual([
      {
        nodes: ['kvm-a', 'kvm-b'],
        value: contentOf({ path: '/etc/hosts', template: 'etc/hosts.ejs' }, masked, masked.nodes[0]),
      },
    ]);
    expect(f.variants[0].value).toContain('192.168.10.22\tkvm-b kvm-b.bcn kvm-b.example.org');
    expect(v.commands).toEqual([{ nodes: ['kvm-a', 'kvm-b'], value: ['getent hosts localhost'] }]);
  });

  it('keeps commands, checks and expected output per node when they differ', () => {
    const v = taskView(masked, byId('sample.per-node'), '1.3');
    expect(v.where).toBe('each node in turn (kvm-a, then kvm-b)');
    expect(v.commands).toEqual([
      { nodes: ['kvm-a'], value: ['echo kvm-a.example.org', 'ping -c 1 kvm-b.sn'] },
      { nodes: ['kvm-b'], value: ['echo kvm-b.example.org', 'ping -c 1 kvm-a.sn'] },
    ]);
    expect(v.expect.map((g) => g.value[0])).toEqual(['kvm-a answers', 'kvm-b answers']);
    expect(v.expectedOutput.map((g) => g.value)).toEqual(['kvm-a.example.org\n', 'kvm-b.example.org\n']);
  });

  it('masks the passwords of a secret file in the masked plan, and keeps them in the real one', () => {
    const masked1 = taskView(masked, byId('sample.cluster-conf'), '1.2').files[0];
    expect(masked1.secret).toBe(true);
    expect(masked1.mode).toBe('0640');
    expect(masked1.variants[0].nodes).toEqual(['kvm-a']);
    expect(masked1.variants[0].value).toContain('passwd="********"');
    for (const s of OTHER_SECRETS) expect(masked1.variants[0].value).not.toContain(s);
    expect(taskView(plan, byId('sample.cluster-conf'), '1.2').files[0].variants[0].value).toContain(
      'passwd="Zq8-ilo-Secret"',
    );
  });

  it('labels local tasks and marks what the engine cannot run', () => {
    const v = taskView(masked, byId('sample.local'), '2.1');
    expect(v.nodes).toEqual(['local']);
    expect(v.where).toBe('local (this machine)');
    expect(v.executable).toBe(false);
    expect(v.commands).toEqual([{ nodes: ['local'], value: ['ssh root@kvm-a true'] }]);
    expect(taskView(masked, byId('sample.gate'), '2.2').executable).toBe(true);
  });

  it('numbers steps by their place in the full list, also when filtered', () => {
    const { masked: m } = plans(TUTORIAL);
    const all = stepViews(m, SAMPLE_STEPS);
    expect(all.map((s) => `${s.number}:${s.tasks.map((t) => t.number).join(',')}`)).toEqual([
      '1:1.1,1.2,1.3',
      '2:2.1,2.2',
    ]);
    expect(stepViews(m, SAMPLE_STEPS, ['sample-gate']).map((s) => s.number)).toEqual([2]);
  });

  it('names the task whose function throws', () => {
    const bad = {
      ...byId('sample.hosts'),
      commands: () => {
        throw new Error('boom');
      },
    };
    expect(() => taskView(masked, bad, '9.9')).toThrow(/task sample.hosts: commands\(\) failed: boom/);
  });

  it('groups equal values and formats modes', () => {
    expect(
      groupByValue([
        { node: 'a', value: [1] },
        { node: 'b', value: [2] },
        { node: 'c', value: [1] },
      ]),
    ).toEqual([
      { nodes: ['a', 'c'], value: [1] },
      { nodes: ['b'], value: [2] },
    ]);
    expect([fmtMode(undefined), fmtMode(0o600), fmtMode(0o755)]).toEqual(['0644', '0600', '0755']);
  });
});

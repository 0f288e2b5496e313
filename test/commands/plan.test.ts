import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEPS } from '../../steps/index.js';
import { planOutput } from '../../src/commands/plan.js';
import { AnvilError } from '../../src/errors.js';
import { runCli } from './run-cli.js';
import { SAMPLE_STEPS } from '../report/sample-steps.js';
import { planText } from '../../src/report/text.js';
import { stepViews } from '../../src/report/tasks.js';
import { inOrder, plans, OTHER, OTHER_ENV, OTHER_SECRETS, TUTORIAL } from '../report/helpers.js';

describe('anvil-install plan', () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, OTHER_ENV));
  afterAll(() => {
    for (const k of Object.keys(OTHER_ENV)) if (saved[k] === undefined) delete process.env[k];
  });

  it('lists every step and every task id of STEPS in order, and no password', async () => {
    const { out, err, error } = await runCli(['plan', '--answers', OTHER]);
    expect(error).toBeUndefined();
    expect(err).toBe('');
    const needles = STEPS.flatMap((s, i) => [
      `${String(i + 1).padStart(2)}. ${s.title}  [${s.id}]`,
      ...s.tasks.map((t) => `[${t.id}]`),
    ]);
    expect(inOrder(out, needles)).toEqual({ missing: [], outOfOrder: [] });
    for (const s of OTHER_SECRETS) expect(out).not.toContain(s);
    expect(out).toMatch(/^Plan for cluster bc-prod-7 \(example.org\): kvm-a.example.org and kvm-b.example.org$/m);
    // NOTE: plain text for pipes: no ANSI escapes.
    expect(out).not.toMatch(/\x1b\[/);
  });

  it('shows kinds, nodes, files, per-node commands, gates and checks', () => {
    const out = planOutput({ answers: OTHER }, SAMPLE_STEPS, OTHER_ENV);
    expect(out).toContain(
      '1.1   Write hosts  [sample.hosts]\n          kind: safe   on: both nodes in parallel (kvm-a, kvm-b)\n          files:\n            /etc/hosts  (0644, copy in /etc/hosts.orig)\n          commands on both nodes:\n            $ getent hosts localhost',
    );
    expect(out).toContain(
      '/etc/cluster/cluster.conf  (0640, any existing file kept as /etc/cluster/cluster.conf.orig, holds passwords)',
    );
    expect(out).toContain(
      'commands on kvm-a:\n            $ echo kvm-a.example.org\n            $ ping -c 1 kvm-b.sn\n          commands on kvm-b:\n            $ echo kvm-b.example.org',
    );
    expect(out).toContain('check on kvm-a:\n            - kvm-a answers');
    expect(out).toContain(
      '2.1   Local check  [sample.local]  (runbook only)\n          kind: safe   on: local (this machine)',
    );
    expect(out).toContain('instructions:\n            Pull the BCN link 1 cable of kvm-a.');
    expect(out).toContain('[ ] kvm-a still answers ping');
    expect(out).toMatch(/Cable tests\n\s+Test\s+Victim\s+Pass\?\n[\s-]+\n\s+pull eth0\s+kvm-a\s+Yes \/ No/);
    expect(out).toContain('! Sample warning: read this before you start.');
  });

  it('shows only the steps asked for, keeping their numbers', () => {
    const out = planOutput({ answers: TUTORIAL, step: ['sample-gate'] }, SAMPLE_STEPS);
    expect(out).toContain('1 of 2 steps, 2 tasks');
    expect(out).toContain(' 2. Sample: gate  [sample-gate]');
    expect(out).not.toContain('[sample-files]');
  });

  it('refuses an unknown step id, naming the known ones', async () => {
    expect(() => planOutput({ answers: TUTORIAL, step: ['nope'] }, SAMPLE_STEPS)).toThrow(AnvilError);
    const { error } = await runCli(['plan', '--answers', TUTORIAL, '--step', 'nope']);
    expect((error as AnvilError).message).toBe('unknown step "nope"');
    expect((error as AnvilError).hint).toContain(STEPS.map((s) => s.id).join(', '));
  });

  it("masks the tutorial's passwords", async () => {
    const { out } = await runCli(['plan', '--answers', TUTORIAL]);
    expect(out).not.toContain('passwd="secret"');
    expect(out).toContain('********');
  });

  it('gets no password from the masked plan even without the redaction safety net', () => {
    const { masked } = plans(OTHER, OTHER_ENV);
    const steps = [...STEPS, ...SAMPLE_STEPS];
    const text = planText(masked, stepViews(masked, steps), steps.length);
    for (const s of OTHER_SECRETS) expect(text).not.toContain(s);
  });

  it('has help with an example', async () => {
    const { out } = await runCli(['plan', '--help']);
    expect(out).toContain('--answers <file>');
    expect(out).toContain('$ anvil-install plan --answers anvil.yaml');
  });
});

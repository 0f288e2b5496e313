/**
 * Issue 10 point 1: a changed secret is re-applied on resume. The masked input hash cannot see a
 * new password, so each task records keyed digests (secret.key) of the secrets it applied.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../../src/engine/types.js';
import { sh } from '../../src/engine/shell.js';
import { readState } from '../../src/state/store.js';
import { decide } from '../../src/engine/resume.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { makeWorld, runIn, SECRETS, syntheticSteps, tempDir, testAnswers } from '../helpers/synthetic-steps.js';

/** The synthetic install plus a step whose secrets never appear in its files or commands. */
function steps(): Step[] {
  return [
    ...syntheticSteps(),
    {
      id: 'secrets',
      title: 'Secrets on stdin and in a fence file',
      doc: 'a password piped on stdin (like passwd --stdin ricci); a fence password in a file',
      tasks: [
        {
          id: 'secrets.stdin',
          title: 'Set the password',
          on: 'both',
          kind: 'safe',
          commands: () => ['passwd --stdin demo'],
          async run(ctx) {
            await ctx.node.sh('passwd --stdin demo', { stdin: `${ctx.plan.answers.ricci.password}\n` });
          },
          verify: async () => ({ summary: 'set' }),
        },
        {
          id: 'secrets.fence',
          title: 'Write the fence file',
          on: 'node1',
          kind: 'safe',
          commands: (p) =>
            p.answers.fencing.devices.map(
              (d) =>
                sh`demo-fence ${d.name} ${String(((d as Record<string, unknown>).passwd as string | undefined) ?? '')}`,
            ),
          verify: async () => ({ summary: 'written' }),
        },
      ],
    },
  ];
}

function world() {
  const w = makeWorld();
  for (const n of Object.values(w.nodes))
    n.on('passwd --stdin demo', (_m, node, stdin) => void (node.vars.pw = stdin ?? '')).on(
      /^demo-fence .*/,
      () => undefined,
    );
  return w;
}

function capture(): { lines: string[]; restore: () => void } {
  const c = captureOutput();
  const prev = setOutput(c);
  return {
    get lines() {
      return [c.text(), c.errText()];
    },
    restore: () => void setOutput(prev),
  };
}

describe('a changed secret is re-applied (issue 10, point 1)', () => {
  it('re-opens the tasks a changed ricci password feeds (file, command, stdin), says so, and never stores the secret', async () => {
    const w = world();
    const dir = tempDir();
    const first = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(first.outcome).toBe('complete');
    const key = statSync(join(dir, 'secret.key'));
    expect(key.mode & 0o777).toBe(0o600);
    const s1 = readState(dir)!;
    expect(Object.keys(s1.tasks['secrets.stdin']['kvm-a'].secretHashes ?? {})).toEqual(['ricci.password']);
    expect(Object.keys(s1.tasks['prep.conf']['kvm-a'].secretHashes ?? {})).toEqual(['ricci.password']);
    expect(Object.keys(s1.tasks['secrets.fence']['kvm-a'].secretHashes ?? {}).sort()).toEqual([
      'fencing.devices.ilo_ka.passwd',
      'fencing.devices.ilo_kb.passwd',
    ]);
    expect(s1.tasks['disk.lvm']['kvm-a'].secretHashes).toBeUndefined();

    // unchanged answers: nothing runs
    const same = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(same.executed).toEqual([]);

    const NEW = 'N3w-Ricci-Passw0rd';
    const out = capture();
    let r;
    try {
      r = await runIn(dir, {
        transports: w.transports,
        yes: true,
        acceptGates: true,
        steps: steps(),
        answers: testAnswers((a) => (a.ricci.password = NEW)),
      });
    } finally {
      out.restore();
    }
    expect(r.outcome).toBe('complete');
    expect(r.executed).toContain('prep.conf@kvm-a');
    expect(r.executed).toContain('secrets.stdin@kvm-b');
    expect(w.nodes['kvm-b'].vars.pw).toBe(`${NEW}\n`);
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toContain(`ricci_password = ${NEW}`);
    const said = out.lines.join('');
    expect(said).toContain('prep.conf on kvm-a: ricci.password changed');
    expect(said).toContain('secrets.stdin on kvm-b: ricci.password changed');
    expect(said).not.toContain('secrets.fence');
    for (const f of ['state.json', 'journal.jsonl']) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const secret of [NEW, SECRETS.RICCI_PW, SECRETS.ILO_PW]) expect(text).not.toContain(secret);
    }
    // and then it is settled again
    const again = await runIn(dir, {
      transports: w.transports,
      yes: true,
      acceptGates: true,
      steps: steps(),
      answers: testAnswers((a) => (a.ricci.password = NEW)),
    });
    expect(again.executed).toEqual([]);
  });

  it('re-opens the task a changed fence password feeds, and only on the device paths that changed', async () => {
    const w = world();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    const changed = testAnswers((a) => ((a.fencing.devices[1] as Record<string, unknown>).passwd = 'Other-Il0-Pass'));
    const out = capture();
    let r;
    try {
      r = await runIn(dir, {
        transports: w.transports,
        yes: true,
        acceptGates: true,
        steps: steps(),
        answers: changed,
      });
    } finally {
      out.restore();
    }
    // NOTE: the fence command masks both passwords, so the masked hash is the same: only the digest sees it.
    expect(r.executed).toEqual(['secrets.fence@kvm-a']);
    expect(out.lines.join('')).toContain('secrets.fence on kvm-a: fencing.devices.ilo_kb.passwd changed');
  });

  it('a lost secret.key re-opens the tasks that applied a secret, saying why; a loose mode is put back to 0600', async () => {
    const w = world();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    rmSync(join(dir, 'secret.key'));
    const out = capture();
    let r;
    try {
      r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    } finally {
      out.restore();
    }
    expect(out.lines.join('')).toContain('secret.key is new');
    expect(r.executed).toContain('prep.conf@kvm-a');
    expect(r.executed).toContain('secrets.stdin@kvm-a');
    expect(r.executed).not.toContain('prep.macs@kvm-a');
    const again = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(again.executed).toEqual([]);
    // a copy with a loose umask
    const k = join(dir, 'secret.key');
    writeFileSync(k, readFileSync(k), { mode: 0o644 });
    const { chmodSync } = await import('node:fs');
    chmodSync(k, 0o644);
    const third = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    expect(third.executed).toEqual([]);
    expect(statSync(k).mode & 0o777).toBe(0o600);
  });

  it('a damaged secret.key stops the run with a message naming it', async () => {
    const w = world();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps: steps() });
    writeFileSync(join(dir, 'secret.key'), 'not a key\n');
    await expect(runIn(dir, { transports: w.transports, yes: true, steps: steps() })).rejects.toThrow(
      /secret\.key is damaged/,
    );
  });

  it('decide: a secret change re-opens a done task, and a failed one re-opens the node', () => {
    expect(decide({ status: 'done', inputHash: 'h' }, 'h', false, ['ricci.password'])).toEqual({
      action: 'run',
      reopen: true,
      reason: 'secret-changed',
    });
    expect(decide({ status: 'done', inputHash: 'h' }, 'h', false, [])).toEqual({ action: 'keep' });
    expect(decide({ status: 'failed', inputHash: 'h' }, 'h', false, ['x'])).toEqual({
      action: 'run',
      reopen: true,
      reason: 'retry',
    });
    expect(decide({ status: 'done', inputHash: 'h' }, 'h2', false, ['x'])).toEqual({
      action: 'run',
      reopen: true,
      reason: 'changed',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { install } from '../../src/commands/install.js';
import { resume } from '../../src/commands/resume.js';
import { EXIT } from '../../src/commands/exit-codes.js';
import { RUN_LOG_FILE } from '../../src/engine/run-log.js';
import type { TransportFactory } from '../../src/commands/install.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { FakePrompter } from '../../src/engine/prompts.js';
import { RunAborted } from '../../src/engine/runner.js';
import { PromptCancelled } from '../../src/errors.js';
import { makeWorld, runIn, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';
import { RunLog } from '../../src/engine/run-log.js';

const ANSWERS = 'test/fixtures/other.anvil.yaml';
const env = { ...SECRETS };

function keyboard(script: string[]) {
  const s = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: () => s });
  s.on('resume', () => {
    const keys = script.shift();
    if (keys !== undefined) setImmediate(() => s.write(keys));
  });
  return { stdin: s as unknown as NodeJS.ReadStream, left: () => script.length };
}
const DOWN = '\u001b[B';

function factoryOf(w = makeWorld()): TransportFactory {
  return async () => ({ transports: w.transports, close: async () => undefined });
}

async function captured<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; out: string; err: string }> {
  const cap = captureOutput();
  const prev = setOutput(cap);
  try {
    return { value: await fn(), out: cap.text(), err: cap.errText() };
  } catch (error) {
    return { error, out: cap.text(), err: cap.errText() };
  } finally {
    setOutput(prev);
  }
}

describe('install.log, the closing summary and the exit codes of a run', () => {
  it('logs every question with its answer, the diffs approved/skipped/refused, task and step times; secrets masked', async () => {
    const dir = tempDir();
    const w = makeWorld();
    // the step approved; demo.conf (known once the MACs are captured) approved on kvm-a, skipped on
    // kvm-b → the task fails on kvm-b (its verify needs the file)
    const p = new FakePrompter({
      'Approve step': 'approve this step',
      'kvm-a: write /etc/demo.conf': 'approve',
      'kvm-b: write /etc/demo.conf': 'skip',
    });
    const r = await captured(() =>
      install(
        { answers: ANSWERS, state: dir },
        {
          transportFactory: factoryOf(w),
          steps: syntheticSteps(),
          env,
          renderer: 'silent',
          signals: false,
          prompter: p,
        },
      ),
    );
    expect((r.error as { exitCode: number }).exitCode).toBe(EXIT.failed);
    const log = readFileSync(join(dir, RUN_LOG_FILE), 'utf8');
    expect(log).toMatch(/==== anvil-install install --answers \S+other\.anvil\.yaml --state \S+ — started /);
    expect(log).toContain('diff of /etc/demo.conf on kvm-a: approved');
    expect(log).toContain('diff of /etc/demo.conf on kvm-b: skipped');
    // the diff itself, as asked: it differs from the one shown with the step (the MACs were captured since)
    expect(log).toMatch(
      /differs from the diff approved with the step[^\n]*\n.*=+\n.*--- \/dev\/null\n.*\+\+\+ \/etc\/demo\.conf \(planned\)\n/,
    );
    expect(log).toMatch(/→ approve\n/);
    expect(log).toMatch(
      /\? ━━ Step 1 of 4 · prep: Prepare\n[\s\S]*Approve step 1 of 4 \(prep\)\?\n.*→ approve this step\n/,
    );
    expect(log).toMatch(/task prep\.macs on kvm-a: changed in \d+\.\d s/);
    expect(log).toMatch(/step prep: Prepare\n/);
    expect(log).toMatch(
      /task prep\.conf on kvm-b: failed \(kvm-b: `demo-check` failed with exit code 1: not applied\) in \d+\.\d s/,
    );
    // what the screen showed after the tree: the summary and the error
    expect(log).toContain('✖ prep/prep.conf on kvm-b failed');
    expect(log).toMatch(/tasks × nodes: +\d+ done \(\d+ changed, \d+ unchanged\), 1 failed/);
    expect(log).toMatch(
      /✖ kvm-b: `demo-check` failed with exit code 1: not applied\n.* {2}hint: fix the cause, then: anvil-install resume --state .*\n.*==== ended: failed \(exit 1\) after /,
    );
    for (const v of Object.values(SECRETS)) expect(log).not.toContain(v);
    // the run's own output carries the tally, the elapsed time and where the log is
    expect(r.out).toMatch(/elapsed: +\d+\.\d s/);
    expect(r.out).toContain(`log:                ${join(dir, RUN_LOG_FILE)}`);
    expect(r.out).toContain(
      'still to do:\n    - fix: kvm-b: `demo-check` failed with exit code 1: not applied; then: anvil-install resume --state',
    );

    // a second run appends to the same log
    const r2 = await captured(() =>
      resume(
        { state: dir, yes: true, acceptGates: true },
        { transportFactory: factoryOf(w), steps: syntheticSteps(), env, renderer: 'silent', signals: false },
      ),
    );
    expect(r2.error).toBeUndefined();
    const log2 = readFileSync(join(dir, RUN_LOG_FILE), 'utf8');
    expect(log2.startsWith(log)).toBe(true);
    expect(log2).toMatch(/==== anvil-install resume --state \S+ --yes --accept-gates — started/);
    expect(log2).toMatch(/task prep\.macs on kvm-a: unchanged \(done earlier\)/);
    expect(log2).toMatch(/==== ended: complete \(exit 0\)/);
  });

  it('abort: exit 5, the log says "refused", nothing of the task ran; a cancelled question is 130', async () => {
    const dir = tempDir();
    const w = makeWorld();
    const r = await captured(() =>
      install(
        { answers: ANSWERS, state: dir },
        {
          transportFactory: factoryOf(w),
          steps: syntheticSteps(),
          env,
          renderer: 'silent',
          signals: false,
          prompter: new FakePrompter({ 'Approve step 1 of 4': 'abort the install here' }),
        },
      ),
    );
    expect(r.error).toBeInstanceOf(RunAborted);
    expect((r.error as RunAborted).exitCode).toBe(EXIT.aborted);
    expect(readFileSync(join(dir, RUN_LOG_FILE), 'utf8')).toMatch(
      /diff of \/etc\/demo\.conf on kvm-\w: refused \(abort\)/,
    );
    expect(w.nodes['kvm-a'].count(/^(demo-apply|ip-macs)/)).toBe(0);

    // a file asked for on its own (its diff was not known at the step's approval): abort there
    const dir1 = tempDir();
    const w1 = makeWorld();
    const r1 = await captured(() =>
      install(
        { answers: ANSWERS, state: dir1 },
        {
          transportFactory: factoryOf(w1),
          steps: syntheticSteps(),
          env,
          renderer: 'silent',
          signals: false,
          prompter: new FakePrompter({ 'Approve step': 'approve this step', 'write /etc/demo.conf': 'abort' }),
        },
      ),
    );
    expect((r1.error as RunAborted).exitCode).toBe(EXIT.aborted);
    expect(w1.nodes['kvm-a'].count(/^demo-apply/)).toBe(0);
    expect(w1.nodes['kvm-b'].count(/^demo-apply/)).toBe(0);

    const dir2 = tempDir();
    const cancel = {
      confirm: async () => {
        throw new PromptCancelled();
      },
      input: async () => '',
      select: async () => {
        throw new PromptCancelled();
      },
    };
    const r2 = await captured(() =>
      install(
        { answers: ANSWERS, state: dir2 },
        {
          transportFactory: factoryOf(),
          steps: syntheticSteps(),
          env,
          renderer: 'silent',
          signals: false,
          prompter: cancel,
        },
      ),
    );
    expect((r2.error as PromptCancelled).exitCode).toBe(EXIT.interrupted);
    expect(readFileSync(join(dir2, RUN_LOG_FILE), 'utf8')).toMatch(/→ \(no answer: prompt cancelled\)/);
  });

  it('the progress tree never ticks a step that was aborted; later steps show "not run"', async () => {
    const w = makeWorld();
    const dir = tempDir();
    // approve the step, approve demo.conf on kvm-a, abort on kvm-b
    const kb = keyboard(['\r', '\r', `${DOWN}${DOWN}\r`]);
    const r = await captured(() => runIn(dir, { transports: w.transports, stdin: kb.stdin, renderer: 'simple' }));
    expect(r.value!.outcome).toBe('aborted');
    expect(r.out).not.toMatch(/✔ Prepare \(prep\)/);
    expect(r.out).toMatch(/✖ Prepare \(prep\) \[FAILED: aborted by the operator at kvm-b: \/etc\/demo\.conf\]/);
    expect(r.out).not.toMatch(/✔ Write demo\.conf/);
    expect(r.out).toMatch(
      /✖ Write demo\.conf \[kvm-a, kvm-b\] \[FAILED: aborted by the operator at kvm-b: \/etc\/demo\.conf\]/,
    );
    expect(r.out).not.toMatch(/Disk \(disk\)/);

    // abort at the step's approval (the fifth choice): the step fails, none of its tasks ran
    const w2 = makeWorld();
    const kb2 = keyboard([`${DOWN}${DOWN}${DOWN}${DOWN}\r`]);
    const r2 = await captured(() =>
      runIn(tempDir(), { transports: w2.transports, stdin: kb2.stdin, renderer: 'simple' }),
    );
    expect(r2.value!.outcome).toBe('aborted');
    expect(r2.out).toMatch(
      /✖ Prepare \(prep\) \[FAILED: aborted by the operator at the approval of step prep; nothing of it ran\]/,
    );
    expect(r2.out).not.toMatch(/✔ /);
    expect(
      w2.nodes['kvm-a'].commands.concat(w2.nodes['kvm-b'].commands).filter((c) => !/^(cat|test) /.test(c)),
    ).toEqual([]);
  });

  it('a gate stop never ticks its step either', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const r = await captured(() => runIn(dir, { transports: w.transports, yes: true, renderer: 'simple' }));
    expect(r.value!.outcome).toBe('gate');
    expect(r.out).toMatch(/✔ Prepare \(prep\)/);
    expect(r.out).not.toMatch(/✔ (Check|Pull a cable)/);
    expect(r.out).toMatch(/↓ Pull a cable \[kvm-a\] \[SKIPPED: operator action needed/);
  });

  it('a task note names its node once on screen', async () => {
    const w = makeWorld();
    const steps = [
      {
        id: 'n',
        title: 'Notes',
        doc: '',
        tasks: [
          {
            id: 'n.say',
            title: 'Say',
            on: 'node1' as const,
            kind: 'safe' as const,
            async run(ctx: import('../../src/engine/types.js').TaskContext) {
              ctx.log(`${ctx.node.plan.name} host key X`);
              ctx.log(`${ctx.node.plan.name}: already done`);
              ctx.log('plain note');
            },
            verify: async () => ({ summary: 'ok' }),
          },
        ],
      },
    ];
    const r = await captured(() =>
      runIn(tempDir(), { transports: w.transports, yes: true, renderer: 'simple', steps }),
    );
    expect(r.value!.outcome).toBe('complete');
    expect(r.out).toContain('› kvm-a host key X\n');
    expect(r.out).toContain('› kvm-a: already done\n');
    expect(r.out).toContain('› kvm-a: plain note\n');
    expect(r.out).not.toContain('kvm-a: kvm-a');
  });

  it('a note that asks for a reboot becomes a to-do of the summary; a node is named once', () => {
    const dir = tempDir();
    const log = new RunLog(dir, ['s3cret'], 'test');
    log.note(
      'an-node01',
      'an-node01: SELinux is enforcing now; reboot for SELINUX=disabled to take effect',
      'security.selinux',
    );
    log.note('an-node02', 'rebooting');
    log.note('an-node02', 'pw s3cret');
    const lines = log.summaryLines();
    expect(lines).toContain('    - an-node01: SELinux is enforcing now; reboot for SELINUX=disabled to take effect');
    expect(lines.join('\n')).not.toContain('rebooting');
    const text = readFileSync(log.file, 'utf8');
    expect(text).toContain('  an-node01: SELinux is enforcing now');
    expect(text).not.toContain('an-node01: an-node01');
    expect(text).toContain('an-node02: pw ********');
  });
});

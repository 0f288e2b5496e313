import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { FakePrompter, YesPrompter } from '../../src/engine/prompts.js';
import { MissingAnswer } from '../../src/errors.js';
import { readState } from '../../src/state/store.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

/** A fake terminal: each time a prompt starts listening, the next scripted keystrokes are typed. */
function keyboard(script: string[]) {
  const s = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: () => s });
  s.on('resume', () => {
    const keys = script.shift();
    // NOTE: setImmediate only orders the keys after enquirer's first render; it does not wait for time.
    if (keys !== undefined) setImmediate(() => s.write(keys));
  });
  return { stdin: s as unknown as NodeJS.ReadStream, left: () => script.length };
}

const DOWN = '\u001b[B';

describe('prompters', () => {
  it('--yes takes defaults and fails with the missing path when there is none', async () => {
    const p = new YesPrompter();
    expect(await p.confirm('go?', true)).toBe(true);
    expect(await p.input('port', { def: '22', path: 'nodes[0].ssh.port' })).toBe('22');
    expect(await p.select('which', ['a', 'b'], 'b')).toBe('b');
    const e = await p.input('ricci password', { path: 'ricci.password', secret: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MissingAnswer);
    expect((e as MissingAnswer).path).toBe('ricci.password');
    expect((e as MissingAnswer).hint).toContain('add ricci.password to the answers file');
    await expect(p.confirm('really?')).rejects.toThrow(MissingAnswer);
  });

  it('the fake prompter answers by path or message and refuses unknown questions', async () => {
    const p = new FakePrompter({ 'ricci.password': 'pw', 'write /etc/hosts': ['skip', 'approve'], sure: true });
    expect(await p.input('anything', { path: 'ricci.password' })).toBe('pw');
    expect(await p.select('n1: write /etc/hosts?', ['approve', 'skip', 'abort'])).toBe('skip');
    expect(await p.select('n2: write /etc/hosts?', ['approve', 'skip', 'abort'])).toBe('approve');
    expect(await p.confirm('are you sure?')).toBe(true);
    await expect(p.confirm('unexpected?')).rejects.toThrow(MissingAnswer);
    expect(p.asked.map((a) => a.kind)).toEqual(['input', 'select', 'select', 'confirm', 'confirm']);
  });

  it('interactive: the runner asks through listr2 and enquirer — diffs by arrow keys, gate items by y/n', async () => {
    const w = makeWorld();
    const dir = tempDir();
    // prompts in run order: demo.conf on kvm-a, kvm-b (approve, skip), lvm.conf a, b (approve), gate items (y, y)
    const kb = keyboard(['\r', `${DOWN}\r`, '\r', '\r', 'y', 'y']);
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      const r = await runIn(dir, { transports: w.transports, stdin: kb.stdin, renderer: 'simple' });
      expect(r.outcome).toBe('failed');
      // kvm-b's demo.conf was skipped, so its verify fails there: the operator's choice was honoured
      expect(r.stop).toMatchObject({ task: 'prep.conf', node: 'kvm-b' });
      expect(w.nodes['kvm-a']!.files.has('/etc/demo.conf')).toBe(true);
      expect(w.nodes['kvm-b']!.files.has('/etc/demo.conf')).toBe(false);
      expect(readState(dir)!.tasks['prep.conf']!['kvm-a']!.status).toBe('done');
      expect(kb.left()).toBe(4);

      // resume: approve kvm-b's demo.conf, both lvm.conf edits, then tick both gate items
      const kb2 = keyboard(['\r', '\r', '\r', 'y\r', 'y\r']);
      const r2 = await runIn(dir, { transports: w.transports, stdin: kb2.stdin, renderer: 'simple' });
      expect(r2.outcome).toBe('complete');
      expect(kb2.left()).toBe(0);
      expect(readState(dir)!.tasks['check.failover']!['kvm-a']).toMatchObject({ status: 'done', evidence: { summary: 'operator confirmed 2 items' } });
      expect(out.text()).toContain('Pull a cable [kvm-a]');
    } finally {
      setOutput(prev);
    }
  });
  it('Ctrl-C at a question aborts the run with nothing written on either node', async () => {
    const w = makeWorld();
    const dir = tempDir();
    // NOTE: that the other node's queued question is cancelled too shows only on a real terminal
    // (raw mode); it was checked under tmux. Here: the cancel itself and its consistent stop.
    const kb = keyboard(['\u0003']);
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      const r = await runIn(dir, { transports: w.transports, stdin: kb.stdin, renderer: 'simple' });
      expect(r.outcome).toBe('aborted');
      expect(kb.left()).toBe(0);
      expect(w.nodes['kvm-a']!.files.has('/etc/demo.conf')).toBe(false);
      expect(w.nodes['kvm-b']!.files.has('/etc/demo.conf')).toBe(false);
    } finally {
      setOutput(prev);
    }
  });
});

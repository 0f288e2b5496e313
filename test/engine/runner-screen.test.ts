/**
 * What the runner puts on a screen that is not a terminal (a pipe, CI): no cursor codes around the
 * questions it draws.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { rmSync } from 'node:fs';
import { captureOutput, setOutput } from '../../src/output.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fake terminal on stdin: each time a prompt starts listening, the next scripted keystrokes are typed. */
function keyboard(script: string[]) {
  const s = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: () => s });
  s.on('resume', () => {
    const keys = script.shift();
    if (keys !== undefined) setImmediate(() => s.write(keys));
  });
  return s as unknown as NodeJS.ReadStream;
}

describe('runner output that is not a terminal', () => {
  it('holds no cursor hide/show codes around a question', async () => {
    const w = makeWorld();
    const dir = tempDir();
    dirs.push(dir);
    const out = captureOutput();
    const prev = setOutput(out);
    try {
      // NOTE: answered with Enter (approve the first step), then Ctrl-C at the next question
      const r = await runIn(dir, { transports: w.transports, stdin: keyboard(['\r', '\u0003']), renderer: 'simple' });
      expect(['aborted', 'failed']).toContain(r.outcome);
    } finally {
      setOutput(prev);
    }
    const text = out.text();
    expect(text).toContain('prep');
    expect(JSON.stringify(text)).not.toMatch(/\\u001b\[\?25[lh]/);
  });
});

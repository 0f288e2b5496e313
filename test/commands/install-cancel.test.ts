/**
 * Ctrl-C at a question (the terminal is in raw mode: enquirer sees the keystroke, no SIGINT is sent)
 * ends the run as an interrupt: exit 130 and the exact command that carries on, on screen and in the log.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { install, Interrupted, type TransportFactory } from '../../src/commands/install.js';
import { printError } from '../../src/cli.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { PromptCancelled } from '../../src/errors.js';
import type { Prompter } from '../../src/engine/types.js';
import { makeWorld, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An operator who presses Ctrl-C at the first question. */
const ctrlC: Prompter = {
  confirm: () => Promise.reject(new PromptCancelled()),
  input: () => Promise.reject(new PromptCancelled()),
  select: () => Promise.reject(new PromptCancelled()),
};

describe('Ctrl-C at a question', () => {
  it('exits 130 and prints the resume command for this state folder', async () => {
    const w = makeWorld();
    const f: TransportFactory = async () => ({ transports: w.transports, close: async () => {} });
    const dir = tempDir();
    dirs.push(dir);
    const out = captureOutput();
    const prev = setOutput(out);
    let e: unknown;
    try {
      e = await install(
        { answers: 'test/fixtures/other.anvil.yaml', state: dir },
        {
          transportFactory: f,
          steps: syntheticSteps(),
          env: { ...SECRETS },
          renderer: 'silent',
          signals: false,
          prompter: ctrlC,
        },
      ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Interrupted);
      expect(printError(e)).toBe(130);
    } finally {
      setOutput(prev);
    }
    const resumeCmd = `anvil-install resume --state ${dir}`;
    expect(out.errText()).toContain(`interrupted — resume with: ${resumeCmd}`);
    expect(out.errText()).not.toContain('✖');
    expect(readFileSync(join(dir, 'install.log'), 'utf8')).toContain(resumeCmd);
  });
});

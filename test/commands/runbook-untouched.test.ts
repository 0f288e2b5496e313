/**
 * The as-built runbook of an install nobody touched since it ran: every done task is plain "done",
 * never "(changed since)", although later tasks ran with values captured after earlier ones (MACs,
 * the start of the free space) and the captured values changed while it ran.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { install, type TransportFactory } from '../../src/commands/install.js';
import { runbookCommand } from '../../src/commands/runbook.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { FakePrompter } from '../../src/engine/prompts.js';
import { FREE_START_KEY } from '../../src/engine/captured.js';
import type { Step } from '../../src/engine/types.js';
import { APPROVE, makeWorld, SECRETS, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

/**
 * The synthetic install, then a step that reads the free space again once the partitions took it
 * (as a resumed drbd-partitions does): a value done tasks ran with changes after them.
 */
function steps(): Step[] {
  return [
    ...syntheticSteps(),
    {
      id: 'reread',
      title: 'Read the free space again',
      doc: 'a capture after the partitions',
      tasks: [
        {
          id: 'reread.free',
          title: 'Read it',
          on: 'node1',
          kind: 'safe',
          run: async (ctx) => ctx.capture(FREE_START_KEY, '197.5GB'),
          verify: async () => ({ summary: 'read' }),
        },
      ],
    },
  ];
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const ANSWERS = 'test/fixtures/other.anvil.yaml';
const env = { ...SECRETS };

describe('as-built runbook of an untouched install', () => {
  for (const how of ['--yes', 'approved step by step'] as const)
    it(`shows no task as "changed since" (${how})`, async () => {
      const w = makeWorld();
      const f: TransportFactory = async () => ({ transports: w.transports, close: async () => {} });
      const dir = tempDir();
      dirs.push(dir);
      const out = captureOutput();
      const prev = setOutput(out);
      try {
        const prompter =
          how === '--yes' ? undefined : new FakePrompter({ ...APPROVE, 'cable pulled': true, 'failover seen': true });
        const r = await install(
          { answers: ANSWERS, state: dir, yes: how === '--yes', acceptGates: how === '--yes' },
          { transportFactory: f, steps: steps(), env, renderer: 'silent', signals: false, prompter },
        );
        expect(r.outcome).toBe('complete');
        await runbookCommand(
          { answers: ANSWERS, state: dir, format: 'md', out: join(dir, 'runbook.md') },
          { steps: steps(), env },
        );
      } finally {
        setOutput(prev);
      }
      const doc = readFileSync(join(dir, 'runbook.md'), 'utf8');
      expect(doc).toMatch(/\| kvm-a \| ✔ done \|/);
      expect(doc).not.toContain('changed since');
    });
});

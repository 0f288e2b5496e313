/** Spinners stand still while a question waits for the operator. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { Listr } from 'listr2';
import { QuietSpinner } from '../../src/engine/quiet-spinner.js';
import { FakePrompter, ListrPrompter, questionWaiting } from '../../src/engine/prompts.js';
import { rmSync } from 'node:fs';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('QuietSpinner', () => {
  it('turns and redraws every interval, but neither while a question waits', () => {
    vi.useFakeTimers();
    let waiting = false;
    let redraws = 0;
    const s = new QuietSpinner(() => waiting);
    s.start(() => redraws++, 100);
    vi.advanceTimersByTime(300);
    expect(redraws).toBe(3);
    const frame = s.fetch();
    waiting = true;
    vi.advanceTimersByTime(1000);
    expect(redraws).toBe(3);
    expect(s.fetch()).toBe(frame);
    waiting = false;
    vi.advanceTimersByTime(100);
    expect(redraws).toBe(4);
    expect(s.fetch()).not.toBe(frame);
    s.stop();
  });

  it('a question asked through the progress tree counts as waiting until it is answered', async () => {
    const seen: boolean[] = [];
    const stdin = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: () => stdin });
    stdin.on('resume', () => {
      seen.push(questionWaiting());
      setImmediate(() => stdin.write('y'));
    });
    let answer: boolean | undefined;
    await new Listr(
      [
        {
          title: 'ask',
          task: async (_c, w) => {
            answer = await new ListrPrompter(w, stdin as unknown as NodeJS.ReadStream).confirm('go on?');
          },
        },
      ],
      { renderer: 'silent' },
    ).run();
    expect(answer).toBe(true);
    expect(seen[0]).toBe(true);
    expect(questionWaiting()).toBe(false);
  });

  it("is the runner's spinner on a terminal", async () => {
    const dir = tempDir();
    let options: { rendererOptions?: { spinner?: unknown } } = {};
    try {
      // NOTE: the run itself is cut short (no answer for the first question); only its options matter
      await runIn(
        dir,
        { transports: makeWorld().transports, renderer: 'default', prompter: new FakePrompter({}) },
        (r) => {
          options = (r as unknown as { listrOptions(): typeof options }).listrOptions();
          throw new Error('enough');
        },
      ).catch(() => undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(options.rendererOptions?.spinner).toBeInstanceOf(QuietSpinner);
  });
});

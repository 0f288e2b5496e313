/**
 * `install --retest STEP`: only a step that holds a test may be named; the error is a usage error
 * (exit 2) given before anything is created.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { install } from '../../src/commands/install.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/synthetic-steps.js';

describe('install --retest', () => {
  it('refuses a step without a test, or an unknown one, naming the steps that hold tests; nothing is created', async () => {
    const dir = join(tempDir(), 'st');
    const o = { answers: 'examples/tutorial.anvil.yaml', state: dir, yes: true, lab: true };
    const err = await install({ ...o, retest: ['hosts'] }, { renderer: 'silent', signals: false }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('--retest hosts: that step holds no test');
    expect(err.hint).toMatch(/fence-tests, net-tests, .*storage-services.*acceptance/);
    await expect(install({ ...o, retest: ['nope'] }, { renderer: 'silent', signals: false })).rejects.toThrow(
      '--retest nope: no such step',
    );
    expect(existsSync(dir)).toBe(false);
  });
});

/** The tests' temporary folders are gone once a test file ends (none left under /tmp). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli-process.js';

describe('tempDir', () => {
  it('removes the folders a test file made when the file ends, not before', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'anvil-tmpdir-'));
    try {
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/temp/vitest.config.ts'],
        { cwd: ROOT, env: { ...process.env, TMPDIR: tmp, CI: '1' }, encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      const made = readFileSync(join(tmp, 'made.txt'), 'utf8').split('\n');
      expect(made).toHaveLength(3);
      for (const d of made) expect(d.startsWith(tmp)).toBe(true);
      expect(made.filter((d) => existsSync(d))).toEqual([]);
      expect(readdirSync(tmp).filter((n) => n.startsWith('anvil-'))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

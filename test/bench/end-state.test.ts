/**
 * The kill campaign's "no destructive command twice" rule reads the lab journals: a line the lab
 * cancelled before it started (exit 129, one simple command) never ran and does not count.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repeatedDestructive } from '../../src/bench/end-state.js';

function journal(lines: { cmd: string; code: number }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-end-state-'));
  mkdirSync(join(dir, 'journal'));
  writeFileSync(
    join(dir, 'journal', 'n1.jsonl'),
    lines.map((l) => JSON.stringify({ t: '2026-12-07T00:00:00.000Z', ...l })).join('\n') + '\n',
  );
  return dir;
}

const MKPART = 'parted -s -a optimal /dev/sda mkpart logical 67.5GB 284GB';

describe('repeatedDestructive', () => {
  it('counts a destructive command run twice', () => {
    const dir = journal([
      { cmd: MKPART, code: 0 },
      { cmd: MKPART, code: 1 },
    ]);
    expect(repeatedDestructive(dir, ['n1'])).toEqual({ n1: [`${MKPART} (×2)`] });
    rmSync(dir, { recursive: true });
  });

  it('does not count a simple command cancelled before it started (129), but a cancelled list counts', () => {
    const dir = journal([
      { cmd: MKPART, code: 129 },
      { cmd: MKPART, code: 0 },
      { cmd: 'pvcreate /dev/drbd0 && echo ok', code: 129 },
      { cmd: 'pvcreate /dev/drbd0 && echo ok', code: 0 },
    ]);
    expect(repeatedDestructive(dir, ['n1'])).toEqual({ n1: ['pvcreate /dev/drbd0 && echo ok (×2)'] });
    rmSync(dir, { recursive: true });
  });
});

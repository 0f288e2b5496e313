/**
 * Issue 10, point 3: one lab per lab folder. Two labs started at the same moment from one folder
 * (`lab serve` and `install --lab`) must not both run: the second is refused with a message, and
 * the first keeps its world.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../src/plan/load.js';
import { execOffline, LAB_LOCK_FILE, startLab, type LabHandle } from '../../src/lab/index.js';
import { createWorld } from '../../src/lab/world.js';
import type { CreateWorld } from '../../src/lab/index.js';

const cw = createWorld as unknown as CreateWorld;

describe('one lab per lab folder (issue 10, point 3)', () => {
  const labs: LabHandle[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const l of labs.splice(0)) await l.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const answers = () => loadAnswers('examples/tutorial.anvil.yaml', {});
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'anvil-lab-lock-'));
    dirs.push(d);
    return d;
  };

  it('of labs started at the same moment from one folder, one runs and the others are refused with a message', async () => {
    for (let round = 0; round < 3; round++) {
      const d = dir();
      const rs = await Promise.allSettled(
        [0, 1, 2].map(() => startLab({ stateDir: d, answers: answers(), createWorld: cw })),
      );
      const ok = rs.filter((r): r is PromiseFulfilledResult<LabHandle> => r.status === 'fulfilled');
      const bad = rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      labs.push(...ok.map((r) => r.value));
      expect(ok.length).toBe(1);
      expect(bad.length).toBe(2);
      for (const b of bad)
        expect(String(b.reason.message)).toMatch(/a lab is already running \(or starting\) from .*\(pid \d+\)/);
      await ok[0].value.stop();
      labs.splice(0);
      expect(existsSync(join(d, LAB_LOCK_FILE))).toBe(false);
    }
  });

  it('an offline exec is refused while a lab serves the folder, and allowed once it stopped', async () => {
    const d = dir();
    const lab = await startLab({ stateDir: d, answers: answers(), createWorld: cw });
    labs.push(lab);
    await expect(
      execOffline({ stateDir: d, node: 'an-node01', cmd: 'touch /root/x', answers: answers(), createWorld: cw }),
    ).rejects.toThrow(/already running \(or starting\)/);
    await lab.stop();
    labs.splice(0);
    const r = await execOffline({
      stateDir: d,
      node: 'an-node01',
      cmd: 'touch /root/x',
      answers: answers(),
      createWorld: cw,
    });
    expect(r.code).toBe(0);
    const again = await startLab({ stateDir: d, answers: answers(), createWorld: cw });
    labs.push(again);
    expect(again.world.nodes['an-node01'].fs.stat('/root/x') !== null).toBe(true);
  });

  it('a lock left by a dead process is taken over', async () => {
    const d = dir();
    writeFileSync(
      join(d, LAB_LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }) + '\n',
    );
    const lab = await startLab({ stateDir: d, answers: answers(), createWorld: cw });
    labs.push(lab);
    expect(Object.keys(lab.nodes).length).toBe(2);
  });
});

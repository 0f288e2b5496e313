/**
 * Benchmark: what one lab command costs with the per-command world save, with and without a large
 * file in a node's filesystem (issue 10 point 6: "a 50 MB upload made every later command 25
 * times slower"). Run: `npx tsc -p tsconfig.json --outDir /tmp/anvil-bench && node /tmp/anvil-bench/src/bench/world-save.js`.
 * Prints milliseconds per command (exec + save), median of N.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorld } from '../lab/world.js';
import { WorldSaver } from '../lab/store/persist.js';

async function perCommand(bigMiB: number, n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-bench-save-'));
  try {
    const world = createWorld({ seed: 1 });
    const node = Object.values(world.nodes)[0];
    if (bigMiB) node.fs.writeFile('/root/upload.iso', randomBytes(bigMiB * 1024 * 1024));
    const saver = new WorldSaver(dir, world);
    saver.saveNow();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await node.exec(`echo ${i} > /root/n`);
      saver.markDirty();
      saver.flush();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = Number(process.argv[2] ?? 15);
const small = await perCommand(0, n);
const big = await perCommand(50, n);
console.log(
  `world save per command: no large file ${small.toFixed(1)} ms; with a 50 MiB file ${big.toFixed(1)} ms (x${(big / small).toFixed(1)}), median of ${n}`,
);

/**
 * What the engine itself costs per task (listr2, hashing, journal, checkpoints), with the remote side
 * taken out: n no-op tasks through the real runner, a silent renderer and an in-memory transport that
 * answers every command at once. Used by the benchmark, which reports the engine's own work apart
 * from the checkpoint writes: before a task touches a node the checkpoint is written durably (fsync +
 * rename + fsync of the folder, issue 15), a cost of this machine's disk, not of the engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Step } from './types.js';
import type { RemoteResult, Transport } from '../remote/types.js';
import { loadAnswers } from '../plan/load.js';
import { ROOT } from '../paths.js';
import { StateStore } from '../state/store.js';
import { Runner } from './runner.js';
import { perf } from '../util/perf.js';

/** A transport with no node behind it: every command succeeds at once, files live in a map. */
class InstantTransport implements Transport {
  private readonly files = new Map<string, Buffer>();
  constructor(readonly name: string) {}
  async exec(): Promise<RemoteResult> {
    return { code: 0, stdout: '', stderr: '', ms: 0 };
  }
  async readFile(path: string): Promise<Buffer | null> {
    return this.files.get(path) ?? null;
  }
  async writeFile(path: string, data: string | Buffer): Promise<void> {
    this.files.set(path, Buffer.from(data));
  }
  async reconnect(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Run `n` no-op tasks (one command each, on node 1) through the runner; time per task and in all. */
export async function measureRunnerOverhead(
  n: number,
): Promise<{ perTaskMs: number; totalMs: number; checkpointWrites: number; checkpointMs: number }> {
  const answers = loadAnswers(join(ROOT, 'examples', 'tutorial.anvil.yaml'), {});
  const step: Step = {
    id: 'overhead',
    title: 'Runner overhead',
    doc: 'no-op tasks',
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `overhead.${i}`,
      title: `no-op ${i}`,
      on: 'node1' as const,
      kind: 'safe' as const,
      commands: () => ['true'],
      verify: async () => ({ summary: 'ok' }),
    })),
  };
  const dir = mkdtempSync(join(tmpdir(), 'anvil-overhead-'));
  const store = StateStore.open(dir, { create: true });
  try {
    const transports = Object.fromEntries(answers.nodes.map((x) => [x.name, new InstantTransport(x.name)]));
    const runner = new Runner({ answers, steps: [step], store, transports, yes: true, renderer: 'silent' });
    const [w0, ms0] = [perf.stateWrites, perf.stateWriteMs];
    const t0 = performance.now();
    const r = await runner.run();
    const totalMs = performance.now() - t0;
    if (r.outcome !== 'complete') throw new Error(`overhead run ended ${r.outcome}: ${r.stop?.message ?? ''}`);
    return {
      perTaskMs: n > 0 ? totalMs / n : 0,
      totalMs,
      checkpointWrites: perf.stateWrites - w0,
      checkpointMs: perf.stateWriteMs - ms0,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

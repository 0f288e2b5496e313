/**
 * The SSH face over the real simulated world (src/lab/world.ts), once it exists: exec, SFTP,
 * persistence across a restart and a powered-off node refusing connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../src/plan/load.js';
import { startLab, type CreateWorld, type LabHandle } from '../../src/lab/index.js';
import { call, connect, run, sftpOf } from '../helpers/lab-ssh-client.js';

const WORLD = fileURLToPath(new URL('../../src/lab/world.ts', import.meta.url));
let createWorld: CreateWorld | undefined;
let why = '';
if (!existsSync(WORLD)) why = 'src/lab/world.ts does not exist yet';
else {
  try {
    createWorld = ((await import(/* @vite-ignore */ WORLD)) as { createWorld?: CreateWorld }).createWorld;
    if (!createWorld) why = 'src/lab/world.ts does not export createWorld';
  } catch (e) {
    const detail = e instanceof Error ? e.message.split('\n')[0] : `threw a ${typeof e}: ${String(e).slice(0, 80)}`;
    why = `src/lab/world.ts cannot be loaded yet (${detail})`;
  }
}
if (why) console.warn(`SKIP lab SSH over the real world: ${why}`);

describe.skipIf(!createWorld)('lab SSH over the real simulated world', () => {
  const dirs: string[] = [];
  const labs: LabHandle[] = [];
  afterEach(async () => {
    for (const l of labs.splice(0)) await l.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('runs commands and file transfers on both nodes and keeps them across a restart', async () => {
    const answers = loadAnswers('examples/tutorial.anvil.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'anvil-lab-real-'));
    dirs.push(dir);
    const a = await startLab({ stateDir: dir, answers, createWorld: createWorld! });
    labs.push(a);
    expect(Object.keys(a.nodes).sort()).toEqual(['an-node01', 'an-node02']);
    for (const n of ['an-node01', 'an-node02']) {
      const c = await connect(a.connectOptions(n));
      expect(await run(c, 'echo hello')).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
      expect((await run(c, 'exit 3')).code).toBe(3);
      const s = await sftpOf(c);
      await call((cb) => s.writeFile(`/root/from-${n}`, `written on ${n}\n`, cb));
      expect((await call<Buffer>((cb) => s.readFile(`/root/from-${n}`, cb))).toString()).toBe(`written on ${n}\n`);
      c.end();
    }
    await a.stop();
    labs.splice(0);

    const b = await startLab({ stateDir: dir, answers, createWorld: createWorld! });
    labs.push(b);
    const c = await connect(b.connectOptions('an-node02'));
    const s = await sftpOf(c);
    expect((await call<Buffer>((cb) => s.readFile('/root/from-an-node02', cb))).toString()).toBe(
      'written on an-node02\n',
    );
    c.end();

    b.world.fault({ kind: 'power', node: 'an-node01', on: false });
    expect(b.world.nodes['an-node01'].reachable()).toBe(false);
    await expect(connect(b.connectOptions('an-node01'))).rejects.toThrow();
  });
});

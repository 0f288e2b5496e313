/** The lab's on-disk state: atomic writes, keys, world saving, lab.json, journal reading. */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import {
  loadOrCreateKeyPair,
  loadSavedWorld,
  readLabInfo,
  saveWorld,
  applyChanges,
  diffSnapshots,
  WorldSaver,
  worldLogPath,
  worldPath,
} from '../../src/lab/store/persist.js';
import { createWorld as createRealWorld } from '../../src/lab/world.js';
import { fingerprint as fingerprintOfBlob } from '../../src/remote/host-keys.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { LabJournal, readJournal } from '../../src/lab/store/journal.js';
import { AnvilError } from '../../src/errors.js';
import { createWorld } from '../helpers/fake-lab-world.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-lab-persist-'));
  dirs.push(d);
  return d;
}

describe('writeFileAtomic', () => {
  it('replaces the file whole, with the mode asked, leaving no temp file', () => {
    const d = tmp();
    const p = join(d, 'sub', 'f.json');
    writeFileAtomic(p, 'one');
    writeFileAtomic(p, Buffer.from('two'), 0o640);
    expect(readFileSync(p, 'utf8')).toBe('two');
    expect(readdirSync(join(d, 'sub'))).toEqual(['f.json']);
    expect(statSync(p).mode & 0o777).toBe(0o640);
  });
});

describe('loadOrCreateKeyPair', () => {
  it('creates an ed25519 pair once and returns the same key afterwards', () => {
    const d = tmp();
    const a = loadOrCreateKeyPair(join(d, 'k'), 'test');
    const b = loadOrCreateKeyPair(join(d, 'k'), 'test');
    expect(b).toEqual(a);
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ test$/);
    expect(statSync(join(d, 'k')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, 'k.pub'), 'utf8').trim().split(' ').slice(0, 2)).toEqual(
      a.publicKey.split(' ').slice(0, 2),
    );
    const parsed = ssh2.utils.parseKey(a.privateKey);
    if (parsed instanceof Error) throw parsed;
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    expect(fingerprintOfBlob(key.getPublicSSH())).toBe(a.fingerprint);
  });

  it('gives distinct keys to distinct paths', () => {
    const d = tmp();
    expect(loadOrCreateKeyPair(join(d, 'a'), 'a').fingerprint).not.toBe(
      loadOrCreateKeyPair(join(d, 'b'), 'b').fingerprint,
    );
  });

  it('refuses a damaged key with a hint', () => {
    const d = tmp();
    writeFileSync(join(d, 'k'), 'not a key');
    expect(() => loadOrCreateKeyPair(join(d, 'k'), 'x')).toThrow(AnvilError);
  });
});

describe('world saving', () => {
  it('round-trips the world through world.json', () => {
    const d = tmp();
    const w = createWorld();
    w.nodes['an-node01'].fs.writeFile('/root/x', 'y');
    saveWorld(d, w);
    const back = createWorld({ saved: loadSavedWorld(d) });
    expect(back.nodes['an-node01'].fs.readFile('/root/x').toString()).toBe('y');
    expect(back.toJSON()).toEqual(w.toJSON());
  });

  it('is undefined before the first save, and refuses broken or foreign files', () => {
    const d = tmp();
    expect(loadSavedWorld(d)).toBeUndefined();
    writeFileSync(worldPath(d), '{"version":1,"world":');
    expect(() => loadSavedWorld(d)).toThrow(/not valid JSON/);
    writeFileSync(worldPath(d), '{"version":99,"world":{}}');
    expect(() => loadSavedWorld(d)).toThrow(/version 99/);
  });

  it('coalesces changes into one save per turn and flushes synchronously when dirty', async () => {
    const d = tmp();
    const w = createWorld();
    const saver = new WorldSaver(d, w);
    saver.flush();
    expect(saver.saves).toBe(0); // nothing changed yet
    for (let i = 0; i < 5; i++) saver.markDirty();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(saver.saves).toBe(1);
    w.nodes['an-node02'].fs.writeFile('/root/late', 'z');
    saver.markDirty();
    saver.flush(); // before the scheduled save: written now
    expect(saver.saves).toBe(2);
    expect(JSON.stringify(loadSavedWorld(d))).toContain(Buffer.from('z').toString('base64'));
    await new Promise((r) => setImmediate(r));
    expect(saver.saves).toBe(2); // the scheduled save found nothing left to do
    saver.close();
    saver.markDirty();
    await new Promise((r) => setImmediate(r));
    expect(saver.saves).toBe(3); // close saves once; later changes are ignored
  });
});

describe('world.log: the world saved by what changed (issue 18)', () => {
  it('diffs snapshots into changes that rebuild the new one, appends to long strings as appends', () => {
    const long = 'x'.repeat(300);
    const shared = { t: 'd', e: { a: { t: 'f', d: 'one' } } };
    const a = { n: 1, arr: [1, 2], s: long, keep: shared, gone: true, obj: { k: 'v' } };
    const b = { n: 2, arr: [1, 3], s: `${long}more`, keep: shared, obj: { k: 'v', k2: [1] }, fresh: null };
    const changes = diffSnapshots(a, b);
    expect(changes).toContainEqual({ p: ['s'], a: 'more' });
    expect(changes.some((c) => c.p[0] === 'keep')).toBe(false);
    const back = JSON.parse(JSON.stringify(a)) as unknown;
    applyChanges(back, JSON.parse(JSON.stringify(changes)) as typeof changes);
    expect(back).toEqual(b);
  });

  it('writes the change of a command as one small appended line, not the whole world', async () => {
    const d = tmp();
    const w = createRealWorld({ seed: 1 });
    const saver = new WorldSaver(d, w);
    saver.saveNow();
    const base = statSync(worldPath(d)).size;
    await w.nodes['an-node01'].exec('echo hello > /root/greeting');
    saver.markDirty();
    saver.flush();
    expect(statSync(worldPath(d)).size).toBe(base); // world.json is not rewritten
    const log = readFileSync(worldLogPath(d), 'utf8').trim().split('\n');
    expect(log.length).toBe(2); // the header naming world.json, one record
    expect(log[1].length).toBeLessThan(base / 20);
    const back = createRealWorld({ saved: loadSavedWorld(d) });
    expect(back.nodes['an-node01'].fs.readText('/root/greeting')).toBe('hello\n');
    expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(w.toJSON()));
  });

  it('compacts into world.json once the log outgrows its limit, and ignores a log of another world.json', async () => {
    const d = tmp();
    const w = createRealWorld({ seed: 1 });
    const saver = new WorldSaver(d, w, undefined, { compactBytes: 2000 });
    saver.saveNow();
    for (let i = 0; i < 30; i++) {
      await w.nodes['an-node02'].exec(`echo ${i} >> /root/count`);
      saver.markDirty();
      saver.flush();
    }
    expect(saver.stats.compactions).toBeGreaterThan(1);
    expect(createRealWorld({ saved: loadSavedWorld(d) }).nodes['an-node02'].fs.readText('/root/count')).toBe(
      Array.from({ length: 30 }, (_, i) => `${i}\n`).join(''),
    );
    // a compaction killed between its renames: the new world.json, the old log (naming another base)
    const oldLog = readFileSync(worldLogPath(d));
    await w.nodes['an-node02'].exec('echo late > /root/late');
    saver.saveNow();
    writeFileSync(worldLogPath(d), Buffer.concat([oldLog, Buffer.from('{"c":[{"p":["offset"],"v":1}]}\n')]));
    const back = createRealWorld({ saved: loadSavedWorld(d) });
    expect(back.nodes['an-node02'].fs.readText('/root/late')).toBe('late\n');
  });

  it('writes the blob of a large file whose content changed before the line that names it', () => {
    const d = tmp();
    const w = createRealWorld({ seed: 1 });
    const fs1 = w.nodes['an-node01'].fs;
    fs1.writeFile('/root/big.txt', 'a'.repeat(2 * 1024 * 1024));
    const saver = new WorldSaver(d, w);
    saver.saveNow();
    fs1.writeFile('/root/big.txt', 'b'.repeat(2 * 1024 * 1024));
    saver.markDirty();
    saver.flush();
    expect(readdirSync(join(d, 'blobs')).length).toBe(2);
    const back = createRealWorld({ saved: loadSavedWorld(d) });
    expect(back.nodes['an-node01'].fs.readText('/root/big.txt')).toBe('b'.repeat(2 * 1024 * 1024));
  });

  it('drops a torn last line (a save killed mid-write) and refuses a torn line before the last', async () => {
    const d = tmp();
    const w = createRealWorld({ seed: 1 });
    const saver = new WorldSaver(d, w);
    saver.saveNow();
    await w.nodes['an-node01'].exec('echo kept > /root/kept');
    saver.markDirty();
    saver.flush();
    appendFileSync(worldLogPath(d), '{"c":[{"p":["nodes",0,"fs"');
    expect(createRealWorld({ saved: loadSavedWorld(d) }).nodes['an-node01'].fs.readText('/root/kept')).toBe('kept\n');
    appendFileSync(worldLogPath(d), '\n{"c":[]}\n');
    expect(() => loadSavedWorld(d)).toThrow(/world\.log line 3 is not valid JSON/);
  });
});

describe('lab.json and journal reading', () => {
  it('treats a missing or unreadable lab.json as no lab', () => {
    const d = tmp();
    expect(readLabInfo(d)).toBeNull();
    writeFileSync(join(d, 'lab.json'), '{ torn');
    expect(readLabInfo(d)).toBeNull();
  });

  it('skips a torn last journal line', () => {
    const d = tmp();
    const j = new LabJournal(d, ['hunter2']);
    j.command('n1', 'echo hunter2', 0);
    j.file('n1', 'rename', '/etc/a', '/etc/b');
    appendFileSync(join(d, 'journal', 'n1.jsonl'), '{"t":"2024-01-01T00:00:00.000Z","cm');
    const e = readJournal(d, 'n1');
    expect(e).toHaveLength(2);
    expect(e[0]).toMatchObject({ cmd: 'echo ********', code: 0 });
    expect(e[1]).toMatchObject({ sftp: 'rename', path: '/etc/a', to: '/etc/b' });
  });
});

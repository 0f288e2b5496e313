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
  WorldSaver,
  worldPath,
} from '../../src/lab/persist.js';
import { fingerprint as fingerprintOfBlob } from '../../src/remote/host-keys.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { LabJournal, readJournal } from '../../src/lab/journal.js';
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

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LOCK_FILE, newState, readState, StateStore, STATE_FILE, writeStateAtomic } from '../../src/state/store.js';
import { STATE_SCHEMA_VERSION } from '../../src/state/types.js';
import { AnvilError } from '../../src/errors.js';
import { tempDir } from '../helpers/synthetic-steps.js';

describe('state store', () => {
  it('creates a folder with a fresh state, saves atomically (no temp file left) and reads it back', () => {
    const dir = join(tempDir(), 'nested', '.anvil');
    const store = StateStore.open(dir, { create: true });
    store.record('hosts.write', 'an-node01').status = 'done';
    store.state.captured['nics.an-node01'] = { bcn: ['00:11:22:33:44:55'] };
    store.save();
    expect(readdirSync(dir).sort()).toEqual([LOCK_FILE, STATE_FILE]);
    const s = readState(dir)!;
    expect(s.schemaVersion).toBe(STATE_SCHEMA_VERSION);
    expect(s.tasks['hosts.write']['an-node01'].status).toBe('done');
    expect(s.captured['nics.an-node01']).toEqual({ bcn: ['00:11:22:33:44:55'] });
    store.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a missing folder or state unless asked to create it', () => {
    const dir = tempDir();
    expect(() => StateStore.open(join(dir, 'none'))).toThrow(/no state folder/);
    expect(() => StateStore.open(dir)).toThrow(/holds no state.json/);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('checks the schema version with a clear message', () => {
    const dir = tempDir();
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ ...newState(), schemaVersion: STATE_SCHEMA_VERSION + 1 }));
    expect(() => readState(dir)).toThrow(/written by a newer anvil-install \(state schema 2; this version reads 1\)/);
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ tasks: {} }));
    expect(() => readState(dir)).toThrow(/not an anvil-install state file/);
    writeFileSync(join(dir, STATE_FILE), '{"schemaVersion": 1, "tas');
    expect(() => readState(dir)).toThrow(AnvilError);
    expect(() => StateStore.open(dir)).toThrow(/not valid JSON/);
  });

  it('writeStateAtomic replaces the file whole', () => {
    const dir = tempDir();
    const s = newState();
    writeStateAtomic(dir, s);
    s.captured.x = 'y'.repeat(100_000);
    writeStateAtomic(dir, s);
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')).captured.x).toHaveLength(100_000);
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
  });

  it('locks the folder: a second run is refused while the first holds it', () => {
    const dir = tempDir();
    const a = StateStore.open(dir, { create: true });
    try {
      expect(() => StateStore.open(dir, { create: true })).toThrow(
        new RegExp(`in use by another anvil-install \\(pid ${process.pid} on`),
      );
    } finally {
      a.close();
    }
    const b = StateStore.open(dir);
    b.close();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const dir = tempDir();
    // a pid that is certainly dead: a child that already exited
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), since: '2020-01-01T00:00:00Z' }));
    const s = StateStore.open(dir, { create: true });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    s.close();
  });

  it('freeze() stops further saves', () => {
    const dir = tempDir();
    const s = StateStore.open(dir, { create: true });
    s.record('a', 'n').status = 'running';
    s.save();
    s.freeze();
    s.record('a', 'n').status = 'done';
    s.save();
    expect(readState(dir)!.tasks.a.n.status).toBe('running');
    s.close();
  });
});

/**
 * Issue 10, point 3: the state folder is never silently wrong. Wrong shapes are refused with the
 * path of the problem; a checkpoint that cannot be written stops the run with a message and
 * releases the lock; journals are not followed through links; folders others can write are refused.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newState, readState, StateStore } from '../../src/state/store.js';
import { Journal } from '../../src/state/journal.js';
import { AnvilError } from '../../src/errors.js';
import { makeWorld, runIn, tempDir } from '../helpers/synthetic-steps.js';

function withState(patch: Record<string, unknown>): string {
  const dir = tempDir('anvil-shape-');
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...newState(), ...patch }));
  return dir;
}

describe('state.json of a wrong shape is refused with the path of the problem', () => {
  const done = { status: 'done', inputHash: 'h' };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['tasks as a list', { tasks: [] }, /"tasks" must be a map of task ids, not a list/],
    ['tasks as a number', { tasks: 5 }, /"tasks" or "captured" is missing|"tasks" must be a map/],
    ['captured as a list', { captured: [] }, /"captured" must be a map, not a list/],
    [
      'a number where a task map belongs',
      { tasks: { 'a.b': 5 } },
      /tasks\.a\.b must be a map of node names to records, not 5/,
    ],
    [
      'a list where a task map belongs',
      { tasks: { 'a.b': [done] } },
      /tasks\.a\.b must be a map of node names to records, not a list/,
    ],
    [
      'a string where a record belongs',
      { tasks: { 'a.b': { n1: 'done' } } },
      /tasks\.a\.b\.n1 must be a record, not "done"/,
    ],
    ['a null record', { tasks: { 'a.b': { n1: null } } }, /tasks\.a\.b\.n1 must be a record, not null/],
    [
      'an unknown status',
      { tasks: { 'a.b': { n1: { status: 'fine' } } } },
      /tasks\.a\.b\.n1\.status: "fine" is not one of/,
    ],
    [
      'a missing status',
      { tasks: { 'a.b': { n1: { inputHash: 'h' } } } },
      /tasks\.a\.b\.n1\.status: undefined is not one of/,
    ],
    [
      'a number as input hash',
      { tasks: { 'a.b': { n1: { status: 'done', inputHash: 5 } } } },
      /tasks\.a\.b\.n1\.inputHash must be text/,
    ],
    [
      'negative runs',
      { tasks: { 'a.b': { n1: { status: 'done', runs: -1 } } } },
      /tasks\.a\.b\.n1\.runs must be a whole number/,
    ],
    [
      'evidence without summary',
      { tasks: { 'a.b': { n1: { status: 'done', evidence: {} } } } },
      /tasks\.a\.b\.n1\.evidence must be/,
    ],
    [
      'secretHashes as a list',
      { tasks: { 'a.b': { n1: { status: 'done', secretHashes: ['x'] } } } },
      /tasks\.a\.b\.n1\.secretHashes must be a map/,
    ],
    [
      'awaitingOperator as text',
      { tasks: { 'a.b': { n1: { status: 'pending', awaitingOperator: 'yes' } } } },
      /awaitingOperator must be true or false/,
    ],
    ['nodes as text', { nodes: 'n1,n2' }, /"nodes" must be a list of node names/],
    ['answersHash as a number', { answersHash: 5 }, /"answersHash" must be text/],
    ['lab without ports', { lab: { stateDir: '/x' } }, /"lab" must be \{ stateDir, ports \}/],
  ];
  for (const [what, patch, want] of cases)
    it(`refuses ${what}`, () => {
      const dir = withState(patch);
      expect(() => readState(dir)).toThrow(want);
      // and opening the folder leaves the lock free and the file as it was
      const before = readFileSync(join(dir, 'state.json'), 'utf8');
      expect(() => StateStore.open(dir)).toThrow(AnvilError);
      expect(existsSync(join(dir, 'lock'))).toBe(false);
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before);
    });

  it('accepts a well-formed state with every optional field', () => {
    const dir = withState({
      tasks: {
        'a.b': {
          n1: {
            status: 'done',
            inputHash: 'h',
            runs: 1,
            evidence: { summary: 's', details: { k: 1 } },
            secretHashes: { 'ricci.password': 'd' },
          },
        },
      },
      nodes: ['n1', 'n2'],
      lab: { stateDir: '/x', ports: {} },
    });
    expect(readState(dir)!.tasks['a.b'].n1.status).toBe('done');
  });
});

describe('a checkpoint that cannot be written stops the run', () => {
  it('with a message naming the file, the lock released, and the previous checkpoint intact', async () => {
    const w = makeWorld();
    const dir = tempDir();
    let armed = true;
    // NOTE: the test runs as root on CI, where a read-only mode does not stop a write: state.json
    // turned into a folder makes the atomic rename fail the same way a full disk makes it fail.
    for (const n of Object.values(w.nodes))
      n.inject = (action) => {
        if (armed && action.kind === 'exec' && /^demo-mkpart$/.test(action.cmd ?? '')) {
          armed = false;
          const s = readFileSync(join(dir, 'state.json'), 'utf8');
          writeFileSync(join(dir, 'state.saved'), s);
          rmSync(join(dir, 'state.json'));
          mkdirSync(join(dir, 'state.json', 'blocker'), { recursive: true });
        }
        return undefined;
      };
    let err: unknown;
    try {
      await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AnvilError);
    expect((err as Error).message).toMatch(/cannot write the checkpoint .*state\.json: EISDIR/);
    expect((err as AnvilError).hint).toBeTruthy();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    // the once task that was about to run is on disk as running in no checkpoint: the last good one stays
    expect(readFileSync(join(dir, 'state.saved'), 'utf8')).toContain('"prep.conf"');
  });
});

describe('journals and folder permissions', () => {
  it('does not follow a journal link out of the state folder', () => {
    const dir = tempDir();
    const outside = join(tempDir('anvil-outside-'), 'victim');
    writeFileSync(outside, 'precious\n');
    symlinkSync(outside, join(dir, 'journal.jsonl'));
    const j = new Journal(join(dir, 'journal.jsonl'), []);
    expect(() => j.append({ node: 'n', kind: 'exec', cmd: 'x' })).toThrow(/journal\.jsonl is a symbolic link/);
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
  });

  it('a journal link stops the run before anything runs on a node, naming it', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const outside = join(tempDir('anvil-outside-'), 'victim');
    writeFileSync(outside, 'precious\n');
    symlinkSync(outside, join(dir, 'journal.jsonl'));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true }).catch((e: unknown) => e);
    const msg = r instanceof Error ? r.message : JSON.stringify((r as { stop?: unknown }).stop);
    expect(msg).toMatch(/symbolic link/);
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
  });

  it('refuses a state folder writable by every user or by its group', () => {
    for (const mode of [0o777, 0o770, 0o702]) {
      const dir = tempDir();
      chmodSync(dir, mode);
      expect(() => StateStore.open(dir, { create: true })).toThrow(/writable by (every user|its group).*refusing/);
      expect(existsSync(join(dir, 'lock'))).toBe(false);
    }
    const ok = tempDir();
    chmodSync(ok, 0o755);
    StateStore.open(ok, { create: true }).close();
  });
});

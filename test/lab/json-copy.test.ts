/**
 * The saved form of a lab part that stays the same object while the part is unchanged (what lets
 * the world saver pass over it), and the comparison that decides it without writing the JSON text.
 */
import { describe, expect, it } from 'vitest';
import { JsonCopy, sameAsJson } from '../../src/lab/store/json-copy.js';

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('sameAsJson', () => {
  const cases: [string, unknown, unknown][] = [
    ['equal nested', { a: [1, 'x', { b: true, c: null }] }, { a: [1, 'x', { b: true, c: null }] }],
    ['a key JSON leaves out', { a: 1, b: undefined, f: () => 1 }, { a: 1 }],
    ['a key the copy has and live lost', { a: 1 }, { a: 1, b: 2 }],
    ['a key live gained', { a: 1, b: 2 }, { a: 1 }],
    ['undefined in an array is null', [1, undefined], [1, null]],
    ['a changed number', { n: 1 }, { n: 2 }],
    ['NaN, which JSON writes null', { n: NaN }, { n: null }],
    ['a Date, written by its toJSON', { d: new Date(0) }, { d: '1970-01-01T00:00:00.000Z' }],
    ['a Map, written as {}', { m: new Map([[1, 2]]) }, { m: {} }],
    ['an array for an object', { a: [] }, { a: {} }],
    ['a longer array', [1, 2, 3], [1, 2]],
    ['a string for a number', { a: '1' }, { a: 1 }],
  ];
  for (const [name, live, copy] of cases) {
    it(`agrees with JSON.stringify, or defers to it: ${name}`, () => {
      const same = JSON.stringify(viaJson(live)) === JSON.stringify(copy);
      // NOTE: it may answer "differs" for the same JSON (the caller then compares texts), never "same" for a change.
      if (sameAsJson(live, copy)) expect(same).toBe(true);
      if (!same) expect(sameAsJson(live, copy)).toBe(false);
    });
  }

  it('finds plain equal state the same (the common case it exists for)', () => {
    const live = { a: [1, 'x', { b: true, c: null }], s: { on: 1 }, u: undefined };
    expect(sameAsJson(live, viaJson(live))).toBe(true);
  });
});

describe('JsonCopy', () => {
  it('hands out the same frozen copy until the state changes, then a new one', () => {
    const state = { nodes: { n1: { up: true, pids: [1, 2] } }, seq: 1 };
    const copies = new JsonCopy<typeof state>();
    const first = copies.of(state);
    expect(first).toEqual(state);
    expect(first).not.toBe(state);
    expect(copies.of(state)).toBe(first);
    expect(Object.isFrozen(first.nodes.n1.pids)).toBe(true);
    expect(() => first.nodes.n1.pids.push(3)).toThrow(TypeError);

    state.nodes.n1.pids.push(3);
    const second = copies.of(state);
    expect(second).not.toBe(first);
    expect(second.nodes.n1.pids).toEqual([1, 2, 3]);
    expect(first.nodes.n1.pids).toEqual([1, 2]);
  });

  it('sees a state that JSON writes the same way through a Date as unchanged', () => {
    const copies = new JsonCopy<unknown>();
    const first = copies.of({ at: new Date(5) });
    expect(copies.of({ at: new Date(5) })).toBe(first);
    expect(copies.of({ at: new Date(6) })).not.toBe(first);
  });
});

/**
 * A part's saved form that stays the same object while the part's JSON text stays the same.
 *
 * Why: the world saver diffs the last snapshot against a new one after every command, and a part found
 * as the same object in both costs one comparison (see `diffSnapshots`). A part that copied its state
 * with `JSON.parse(JSON.stringify(state))` on every snapshot made a fresh object each time, so every
 * save parsed it and walked it again. Here the text is still made (a change must not be missed: no
 * part counts its own mutations), but parsing and the walk happen only when it changed.
 */

/** Freeze a parsed JSON value and everything in it: a snapshot is shared between saves and never written. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Whether a value is left out of an object by JSON.stringify (and written as null in an array). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * Whether `live` has the JSON form of `copy` (a parsed JSON value). NOTE: conservative: anything JSON
 * writes in its own way (a non-finite number, an object that is neither plain nor an array, with its
 * own toJSON or prototype) answers false, and the caller compares the text instead.
 */
export function sameAsJson(live: unknown, copy: unknown): boolean {
  if (live === copy) return typeof live !== 'number' || Number.isFinite(live);
  if (live === null || copy === null || typeof live !== 'object' || typeof copy !== 'object') return false;
  if (Array.isArray(live)) {
    if (!Array.isArray(copy) || live.length !== copy.length) return false;
    for (let i = 0; i < live.length; i++) {
      const v: unknown = live[i];
      if (omitted(v) ? copy[i] !== null : !sameAsJson(v, copy[i])) return false;
    }
    return true;
  }
  if (Array.isArray(copy) || Object.getPrototypeOf(live) !== Object.prototype) return false;
  const c = copy as Record<string, unknown>;
  let n = 0;
  for (const k in live) {
    const v = (live as Record<string, unknown>)[k];
    if (omitted(v)) continue;
    if (!Object.hasOwn(c, k) || !sameAsJson(v, c[k])) return false;
    n++;
  }
  // NOTE: a key the copy has and `live` lost (deleted, or set to undefined) is a change.
  let m = 0;
  for (const _ in c) m++;
  return n === m;
}

/**
 * Copies of one part's plain-JSON state. NOTE: the copy is deeply frozen: it is handed out again as
 * long as the state does not change, so a caller that wrote into it would corrupt later snapshots;
 * a frozen copy makes that write throw instead (modules run in strict mode).
 */
export class JsonCopy<T> {
  private text: string | undefined;
  private value: T | undefined;

  /** A copy of `live` as JSON would carry it: the previous copy when its JSON text is unchanged. */
  of(live: unknown): T {
    // NOTE: most snapshots find a part unchanged (in an install, 1 in 10 to 1 in 40 differ): a walk
    // that compares, allocating nothing, costs a fraction of making the text.
    if (this.value !== undefined && sameAsJson(live, this.value)) return this.value;
    const text = JSON.stringify(live) as string | undefined;
    if (text === undefined) throw new TypeError('lab: a saved part has no JSON form');
    if (text !== this.text) {
      this.value = deepFreeze(JSON.parse(text) as T);
      this.text = text;
    }
    return this.value as T;
  }
}

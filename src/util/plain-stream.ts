/**
 * A stream for output that is not a terminal (a pipe, a file, CI): listr2 hides the cursor around
 * every question it draws (`ESC[?25l` … `ESC[?25h`, written to stdout whatever it is); in a pipe those
 * bytes only garble the text, so they are dropped here.
 */
import { Writable } from 'node:stream';

// NOTE: DECTCEM, cursor hide and show: the only cursor codes listr2's process output writes unasked.
// eslint-disable-next-line no-control-regex
const CURSOR_CODES = /\u001b\[\?25[lh]/g;

/** `dest` without cursor show/hide codes; everything else passes as written. */
export function withoutCursorCodes(dest: Writable): Writable {
  const w = new Writable();
  // NOTE: write is replaced, not implemented through _write, so each write reaches `dest` at once and
  // in order (as the run log's tee does): tests read the text right after it is written.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  w.write = ((chunk: any, enc?: any, cb?: any) => {
    const text = (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString()).replace(
      CURSOR_CODES,
      '',
    );
    const done = typeof enc === 'function' ? (enc as () => void) : (cb as (() => void) | undefined);
    if (!text) {
      done?.();
      return true;
    }
    return dest.write(text, done);
  }) as Writable['write'];
  return w;
}

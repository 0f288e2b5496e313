import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, OUTPUT_LIMIT, parseJournal, truncateOutput } from '../../src/state/journal.js';
import { MASK } from '../../src/plan/derive.js';
import { tempDir } from '../helpers/synthetic-steps.js';

describe('journal', () => {
  it('appends one redacted JSON line per action', () => {
    const file = join(tempDir(), 'journal.jsonl');
    const j = new Journal(file, ['hunter2', 'pw']);
    j.append({
      node: 'n1',
      task: 't',
      kind: 'exec',
      cmd: "echo 'hunter2' | passwd --stdin root",
      code: 0,
      ms: 3,
      stdout: 'ok hunter2',
      stderr: '',
    });
    j.append({ node: 'n2', kind: 'exec', cmd: 'false', code: 1, ms: 1, stdout: '', stderr: 'bad' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    const e = parseJournal(text);
    expect(e).toHaveLength(2);
    expect(e[0]).toMatchObject({
      node: 'n1',
      task: 't',
      kind: 'exec',
      cmd: `echo '${MASK}' | passwd --stdin root`,
      code: 0,
      stdout: `ok ${MASK}`,
    });
    expect(e[1]).toMatchObject({ node: 'n2', code: 1, stderr: 'bad' });
    expect(typeof e[0].at).toBe('string');
  });

  it('keeps the head and the tail of long output, saying how much was left out, and never half a secret', () => {
    const long = 'a'.repeat(OUTPUT_LIMIT.head) + 'x'.repeat(10_000) + 'z'.repeat(OUTPUT_LIMIT.tail);
    const t = truncateOutput(long);
    expect(t.startsWith('a'.repeat(OUTPUT_LIMIT.head) + '\n…[10000 characters omitted]…\n')).toBe(true);
    expect(t.endsWith('z'.repeat(OUTPUT_LIMIT.tail))).toBe(true);
    expect(truncateOutput('short')).toBe('short');
    const file = join(tempDir(), 'journal.jsonl');
    const secret = 'S3cretS3cret';
    // the secret straddles the cut: it must be masked, not cut in half
    const out = 'a'.repeat(OUTPUT_LIMIT.head - 5) + secret + 'b'.repeat(20_000);
    new Journal(file, [secret]).append({ node: 'n', kind: 'exec', cmd: 'x', stdout: out });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('S3cr');
    expect(text).not.toContain('tS3');
  });
});

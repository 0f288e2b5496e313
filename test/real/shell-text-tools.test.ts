/**
 * Fast tier: the lab's `sort` keys, `read` with IFS and `grep -Z` against the real programs on the
 * same files: each command runs on a lab node (in /root/t) and with real bash and GNU tools (LANG=C,
 * in a temp directory holding the same files), and exit code and stdout must agree. These were the
 * remaining differences of the shell differential harness (test/real/lab-shell.real.ts). The real
 * programs here are Debian 12's (bash 5.2, coreutils 9.1, grep 3.8); EL6's bash 4.1 read.def,
 * coreutils 8.4 sort.c and grep 2.6.3 behave the same for these commands (cited at the lab's code).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorld } from '../../src/lab/world.js';
import { hasProgram, run } from './helpers/netns.js';

const skip = ['bash', 'sort', 'grep', 'tr'].find((p) => !hasProgram(p));
if (skip) console.log(`[skip] lab sort/read/grep -Z against the real tools: ${skip} is missing`);

const n = createWorld({ seed: 7 }).nodes['an-node01'];
const FILES: Record<string, string> = {
  passwd: n.fs.readText('/etc/passwd'),
  data: 'b 10 x\na 9  y\nc  2 z\na 10 w\nB 1 v\n d 3 u\na 9  y\n',
  nums: '10\n9\n-1\n1.5\nabc\n\n 2\n-0.5\n+3\n1e3\n',
  sizes: '2K\n1M\n512\n3G\n1.5K\n-1K\n',
  months: 'mar x\nJan y\nDEC z\nfoo w\n feb v\n',
  tabs: 'a\tb c\tz\na b\tc\ty\n\tq\tx\n',
};

const SORT = [
  'sort -k2,2n data',
  'sort -k2 data',
  'sort -k2b data',
  'sort -k2,2 data',
  'sort -k2,2b data',
  'sort -b -k2,2 data',
  'sort -k2,2n -k1,1r data',
  'sort -k2,2nr data',
  'sort -rk2,2n data',
  'sort -r -k2,2 data',
  'sort -k1.2 data',
  'sort -k1.2,1.2 data',
  'sort -k1,1.1 data',
  'sort -k3 -k1 data',
  'sort -s -k1,1 data',
  'sort -u -k1,1 data',
  'sort -u data',
  'sort -f data',
  'sort -fu -k1,1 data',
  'sort -r data',
  'sort -n data',
  'sort -n nums',
  'sort -nu nums',
  'sort -nr nums',
  'sort -g nums',
  'sort -h sizes',
  'sort -M months',
  'sort -d data',
  'sort -t: -k3,3n passwd | tail -1 | cut -d: -f1',
  'sort -t: -k3n passwd | cut -d: -f1',
  'sort -t: -k7,7 -k3,3n passwd | cut -d: -f1,7',
  'sort -t: -k4,4n -k1,1r passwd | cut -d: -f1',
  "sort -t '\t' -k2,2 tabs",
  "sort -t '\t' -k3 tabs",
  'sort -t: -k3,3n -o out passwd; head -2 out',
  'sort -c data; echo $?',
  'sort -k2,2n -c data; echo $?',
  'sort -C nums; echo $?',
  'sort -n nums | sort -nc; echo $?',
  'sort -k0 data; echo $?',
  'sort -k1.0 data; echo $?',
  'sort -t ab data; echo $?',
  'sort -k2,2x data; echo $?',
];

const READ_SCRIPTS = [
  'IFS=: read a b; echo "[$a][$b]"',
  'IFS=: read a b c; echo "[$a][$b][$c]"',
  'read a b; echo "[$a][$b]"',
  'read; echo "[$REPLY]"',
  'IFS= read l; echo "[$l]"',
  'read l; echo "[$l]"',
  'IFS=\' :\' read a b; echo "[$a][$b]"',
  'IFS=: read a; echo "[$a]"',
  'read -r a b; echo "[$a][$b]"',
  'read -r; echo "[$REPLY]"',
];
const READ_INPUTS = ['x:y:z:', '  a  b  c  ', 'x::y', ' :x: :y : ', 'a\\ b\\\\c d', 'x:y:', 'x:', 'a\\\nb c', ''];
const READ = [
  ...READ_SCRIPTS.flatMap((s) => READ_INPUTS.map((i) => `printf '%s\\n' '${i.replace(/'/g, "'\\''")}' | { ${s}; }`)),
  'printf \'a  b\\n\' | while IFS= read -r l; do echo "[$l]"; done',
  'printf \'root:x:0\\nbin:x:1\\n\' | while IFS=: read u p id; do echo "$u=$id"; done',
  'printf \'last\' | { read l; echo "$? [$l]"; }',
  ': | { read a; echo "$? [$a]"; }',
  'IFS=: ; read a b <<EOF\nk:v\nEOF\necho "[$a][$b]"',
  'read 1x; echo $?',
];

const GREP = [
  'grep -Z root passwd data',
  'grep -lZ root passwd data',
  'grep -LZ nobody passwd data',
  'grep -cZ root passwd data',
  'grep -HZn root passwd',
  'grep -Z root passwd',
  'grep -qZ root passwd; echo $?',
  'grep --null -l a data passwd',
  "grep -lZ root passwd data | tr '\\000' @",
];

describe.skipIf(skip)('the lab’s sort, read and grep -Z against the real programs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-text-'));
  for (const [f, t] of Object.entries(FILES)) {
    writeFileSync(join(dir, f), t);
    n.fs.mkdirp('/root/t', 0o755);
    n.fs.writeFile(`/root/t/${f}`, t);
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([...SORT, ...READ, ...GREP])('%s', async (cmd) => {
    const real = await run(['env', 'LC_ALL=C', 'bash', '-c', `cd "$1" && ${cmd}`, 'bash', dir], { timeoutMs: 10_000 });
    const lab = await n.exec(`cd /root/t && ${cmd}`);
    expect({ code: lab.code, stdout: lab.stdout }, `real stderr: ${real.stderr}`).toEqual({
      code: real.code,
      stdout: real.stdout,
    });
  });
});

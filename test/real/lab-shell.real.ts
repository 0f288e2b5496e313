/**
 * Slow tier: the lab's shell and text tools against real bash and GNU tools on the same files. Each
 * command runs on a lab node and, with real bash 5 and Debian's coreutils/sed/gawk/grep, in a chroot
 * of that node's files materialised to a directory (test/real/helpers/lab-root.ts: host /usr
 * read-only, private mount/pid/net namespaces). Exit code, stdout and the files changed are compared.
 *
 * Two sets of commands:
 * - What the steps send: both examples (the tutorial's answers and test/fixtures/other.anvil.yaml)
 *   are installed whole on the lab; every distinct command of the lab's journals, and every command
 *   the runbook prints (tasks' `commands`), runs on that node of the installed world, unless the
 *   filter rule of helpers/install-commands.ts `classify` says it cannot run for real (EL6 programs,
 *   devices, services, the clock, background processes); the counts are printed.
 * - Variants of the same shapes (hand-made, on a fresh an-node01 with the rendered /etc/hosts).
 * Every difference must be listed in KNOWN / KNOWN_SENT with a reason (recorded in
 * src/lab/FIDELITY.md, "What the real programs said"): a new difference, or a known one that went away, fails the test.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import { renderFile } from '../../src/engine/render.js';
import { createWorld } from '../../src/lab/world.js';
import type { LabNode } from '../../src/lab/node/node.js';
import { loadSavedWorld } from '../../src/lab/store/persist.js';
import { cleanup, hasProgram, scratch } from './helpers/netns.js';
import { changed, labSnapshot, materialize, runReal, snapshot } from './helpers/lab-root.js';
import { classify, installOnLab, sentCommands } from './helpers/install-commands.js';
import { ROOT } from '../helpers/cli-process.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (mount namespace, chroot)'
    : ['unshare', 'chroot', 'mknod', 'gawk'].find((p) => !hasProgram(p))
      ? 'unshare/chroot/mknod/gawk missing (apt-get install gawk)'
      : null;
if (skip) console.log(`[skip] lab shell against real bash and GNU tools: ${skip}`);

const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const HOSTS = renderFile({ path: '/etc/hosts', template: 'etc/hosts.ejs' }, plan, plan.nodes[0]);

/** The commands compared (steps' shapes, runbook one-liners, variants). */
const COMMANDS: string[] = [
  // steps (generic programs, with the plan's values)
  'true',
  'getent hosts an-node01 an-node01.bcn an-node01.alteeve.ca an-node01.ipmi an-node01.sn an-node01.ifn',
  'getent hosts an-node09',
  'test -f /root/.ssh/id_rsa && test -f /root/.ssh/id_rsa.pub',
  'mkdir -p /root/.ssh && chmod 700 /root/.ssh && stat -c %a /root/.ssh',
  'cat /etc/hosts',
  'wc -l < /var/log/messages',
  'tail -n +3 /etc/hosts',
  'ls -1 /root',
  'rm -f /root/.anvil-restart-done; test -e /root/.anvil-restart-done; echo $?',
  "grep -c 'an-node0' /etc/hosts",
  'mkdir -p /shared/definitions /shared/provision && ls -d /shared/*',
  // the runbook's fstab one-liner, as typed (gfs2_tool replaced by the UUID it prints)
  'echo `echo 253DA8EC-D945-4B6E-9BF0-2AB3B1A9B0C4 | sed -e "s/\\(.*\\)/UUID=\\L\\1\\E \\/shared\\t\\tgfs2\\tdefaults,noatime,nodiratime\\t0 0/"`',
  // variants of the same shapes
  "sed -i 's/^SELINUX=.*/SELINUX=permissive/' /etc/selinux/config && grep ^SELINUX= /etc/selinux/config",
  "sed -i.orig 's|^127.0.0.1.*|127.0.0.1 localhost|' /etc/hosts && cat /etc/hosts.orig | head -1",
  "printf 'a1\\nb1\\n' | sed '/a/{s/1/X/}'",
  "echo AbC | sed 's/.*/\\L&/'",
  "awk '/an-node01/ {print $2}' /etc/hosts",
  "awk -F'\\t' 'NF>1 {n++} END {print n+0}' /etc/hosts",
  'awk \'/nomatch/{n++} END{if (n==0) print "none"}\' /etc/hosts',
  'awk \'BEGIN{exit 1} END{print "end"}\'; echo $?',
  'grep -q an-node02 /etc/hosts && echo yes || echo no',
  "grep -E '^10\\.20\\.[0-9]+\\.[0-9]+' /etc/hosts | wc -l",
  'grep --nonsense root /etc/passwd; echo $?',
  'cut -d: -f1,7 /etc/passwd | head -3',
  'sort -t: -k3,3n /etc/passwd | tail -1 | cut -d: -f1',
  'for i in 1 2 3; do [ $i = 2 ] && break; echo $i; done',
  'printf \'a  b\\n\' | while IFS= read -r l; do echo "[$l]"; done',
  'umask 077; echo s > /root/u.txt; stat -c %a /root/u.txt',
  'x=$(hostname); echo ${#x}',
  'cat <<EOF > /root/h.txt\nline $HOME\nEOF\ncat /root/h.txt',
  "cat <<'EOF' > /root/q.txt\nline $HOME\nEOF\ncat /root/q.txt",
  'echo $((7/2*2)) $((10%3))',
  "printf 'on\\r\\n' | tr -d '\\r' | wc -c",
  'cp /etc/hosts /root/nodir/; echo $?',
  'ls /etc/host* | sort',
  'test -d /etc && test ! -e /nope && echo ok',
  'ln -s /etc/hosts /root/hl && readlink /root/hl',
  'touch /root/t1 && chmod 640 /root/t1 && stat -c %a /root/t1',
  'echo a >> /root/ap.txt; echo b >> /root/ap.txt; cat /root/ap.txt',
  'diff /etc/hosts /etc/hosts && echo same',
  "head -n 2 /etc/hosts | tail -n 1 | tr ' ' '\\n' | grep -c .",
  'false || echo fallback; true && echo chained',
  'echo "$(echo nested $(echo deep))"',
  // generated variants of the shapes fixed on the shell-fix branch (arithmetic, loops, umask)
  ...[
    '7/2*2',
    '-7/2',
    '-7%3',
    '2**10',
    '1<2 && 3>4',
    '010+0x1f',
    '(1+2)*-3',
    'x++ + x',
    '5>3?1:2',
    '1/0',
    '1+',
    '08',
  ].map((e) => `x=4; echo $((${e})); echo $? $x`),
  'echo $((1/0)); echo after',
  'i=0; while [ $i -lt 10 ]; do i=$((i+1)); [ $i -eq 3 ] && continue; [ $i -eq 6 ] && break; echo $i; done',
  'for i in 1 2; do for j in a b c; do [ $j = b ] && continue 2; echo $i$j; done; done',
  "printf 'a\\nb\\nc\\n' | while read l; do [ $l = b ] && break; echo $l; done; echo $?",
  'umask 027; mkdir /root/ud; touch /root/ut; stat -c %a /root/ud /root/ut; umask',
  // sed blocks and hold space on the node's files
  ...[
    '/an-node01/{s/an-/AN-/g}',
    '/^#/!{/node/{p}}',
    '1!G;h;$!d',
    '$!N;s/\\n/ | /',
    '/^10/{n;s/^/>/}',
    '/a/{s/a/b/',
    's/x/y/}',
  ].map((e) => `sed -n -e '${e}' -e p /etc/hosts; echo $?`),
  "sed -i '/^SELINUX=/{s/=.*/=permissive/}' /etc/selinux/config && grep ^SELINUX /etc/selinux/config",
  // awk's unset variables and exit; grep's unknown options
  ...['n==0', 'n==""', 'n<1', 'n=="0"', '!n', 'a[1]==0', 'length(n)==0'].map(
    (c) => `awk '/nomatch/{n++} END{if (${c}) print "yes"; else print "no"}' /etc/hosts`,
  ),
  'awk \'BEGIN{exit 3} END{print "end"; exit}\'; echo $?',
  "awk 'NR==2{exit 5} {print $1} END{print NR}' /etc/hosts; echo $?",
  ...['-k', '-qj', '-qZ', '--nonsense', '--colour=never'].map((o) => `grep ${o} root /etc/passwd; echo $?`),
  // sort's per-key modifiers, IFS in read, grep -Z (test/real/shell-text-tools.test.ts has the matrix)
  'sort -t: -k7,7 -k3,3nr /etc/passwd | cut -d: -f1 | head -3',
  'sort -k2b /etc/hosts | head -3',
  'while IFS=: read u p id rest; do [ "$id" -lt 3 ] && echo "$u $id"; done < /etc/passwd',
  "grep -lZ root /etc/passwd /etc/group | tr '\\000' @",
];

/**
 * Known differences: command → reason (src/lab/FIDELITY.md has the real output). Outputs that
 * depend on the machine (hostname, /proc) are not here: the commands avoid them.
 */
const KNOWN: Record<string, string> = {};

/** Known differences among the commands the steps send: `node: command` → reason. */
const KNOWN_SENT: Record<string, string> = {};

/**
 * What `ls -l` prints that cannot agree between a lab node and a chroot on this host, normalised on
 * both sides: the time column (lab time is not the host's clock; a lab mtime ahead of the host's
 * clock makes GNU ls print the year), the SELinux `.` after the mode (coreutils 8.4 on EL6's
 * SELinux-labelled files prints it, ls.c `f->scontext`; Debian has no labels: recorded in FIDELITY),
 * and the link count of a `..` that is the chroot's root (the host's /bin /sbin /lib /lib64 are
 * links there, directories on the node).
 */
function normaliseLs(cmd: string, out: string): string {
  if (!/^ls -\S*l/.test(cmd)) return out;
  return out
    .replace(/^([-dlbcps][-rwxsStT]{9})\./gm, '$1')
    .replace(/ [A-Z][a-z]{2} [ \d]\d (?: \d{4}|\d\d:\d\d) /g, ' DATE ')
    .replace(/^(\S+ +)\d+( .* DATE \.\.)$/m, '$1N$2');
}

/** The examples installed whole on the lab; their secrets come from here. */
const EXAMPLES: { answers: string; env: Record<string, string> }[] = [
  { answers: 'examples/tutorial.anvil.yaml', env: {} },
  { answers: 'test/fixtures/other.anvil.yaml', env: { ILO_PW: 'Zq8-ilo-Secret', RICCI_PW: 'Rc1-ricci-Secret' } },
];

/**
 * Run each command on the lab node and on real bash in a chroot of its files; the difference of
 * each command that differs (exit code, stdout, files changed outside /tmp). `prepare` runs before a
 * command on the lab node and may put files in /tmp of both trees (the stand-ins' outputs).
 */
async function compare(
  lab: LabNode,
  cmds: string[],
  prepare: (cmd: string, dir: string) => Promise<string> = (cmd) => Promise.resolve(cmd),
  opts: { normalise?: (cmd: string, out: string) => string } = {},
): Promise<Record<string, string>> {
  const norm = opts.normalise ?? ((_c: string, o: string) => o);
  const kept = (p: string) => !p.startsWith('/tmp');
  const diffs: Record<string, string> = {};
  let dir = scratch('root');
  materialize(lab, dir);
  for (const original of cmds) {
    const cmd = await prepare(original, dir);
    const realBefore = snapshot(dir);
    const labBefore = labSnapshot(lab);
    const real = await runReal(dir, cmd, lab.hostname);
    const l = await lab.exec(cmd);
    const realAfter = snapshot(dir);
    const labAfter = labSnapshot(lab);
    const realChanged = changed(realBefore, realAfter).filter(kept);
    const labChanged = changed(labBefore, labAfter).filter(kept);
    real.stdout = norm(original, real.stdout);
    l.stdout = norm(original, l.stdout);
    // NOTE: the real tree is re-made from the lab's files after any command that changed files on
    // either side, so each command starts from the same files.
    if (changed(realBefore, realAfter).length || changed(labBefore, labAfter).length) {
      rmSync(dir, { recursive: true, force: true });
      dir = scratch('root');
      materialize(lab, dir);
    }
    const what: string[] = [];
    if (real.code !== l.code) what.push(`exit real ${real.code} lab ${l.code}`);
    if (real.stdout !== l.stdout)
      what.push(`stdout real ${JSON.stringify(real.stdout)} lab ${JSON.stringify(l.stdout)}`);
    if (realChanged.join() !== labChanged.join())
      what.push(`changed real [${realChanged.join(' ')}] lab [${labChanged.join(' ')}]`);
    else
      for (const p of realChanged)
        if (realAfter.get(p) !== labAfter.get(p))
          what.push(`${p}: real ${JSON.stringify(realAfter.get(p))} lab ${JSON.stringify(labAfter.get(p))}`);
    if (what.length)
      diffs[original] = `${what.join('; ')}${real.stderr ? ` (real stderr: ${real.stderr.trim()})` : ''}`;
  }
  rmSync(dir, { recursive: true, force: true });
  return diffs;
}

describe.skipIf(skip)('the lab’s shell and text tools against real bash and GNU tools', () => {
  afterAll(async () => {
    await cleanup();
  });

  // NOTE: two whole installs (~7 s each, side by side) and ~190 chroot runs.
  it(
    'every command both example installs send and the runbook prints, as the filter rule allows',
    { timeout: 900_000 },
    async () => {
      const diffs: Record<string, string> = {};
      const filtered = new Map<string, number>();
      let compared = 0;
      let total = 0;
      // NOTE: the two installs side by side (two processes): ~half the wait of one after the other.
      const states = EXAMPLES.map(() => join(scratch('install'), 'state'));
      await Promise.all(EXAMPLES.map((ex, i) => installOnLab(ROOT, join(ROOT, ex.answers), states[i], ex.env)));
      for (const [i, ex] of EXAMPLES.entries()) {
        const state = states[i];
        const plan = derivePlan(loadAnswers(ex.answers, ex.env));
        const sent = sentCommands(state, plan);
        total += sent.length;
        const world = createWorld({ saved: loadSavedWorld(join(state, 'lab')) });
        // NOTE: the installed world is live (cluster, DRBD, guests): with lab time following the wall
        // clock its daemons would log to /var/log/messages between the copy of its files and the command.
        // Its clock is paused here: lab time moves only when a command itself waits (sleep).
        const paused = Date.now();
        const clock = world as unknown as { now(): number; offset: number };
        clock.now = function (this: { offset: number }) {
          return paused + this.offset;
        };
        for (const n of plan.nodes) {
          const mine: string[] = [];
          for (const c of sent.filter((x) => x.node === n.name)) {
            const v = classify(c.cmd);
            if (v.compare) mine.push(c.cmd);
            else filtered.set(v.reason, (filtered.get(v.reason) ?? 0) + 1);
          }
          compared += mine.length;
          if (process.env.ANVIL_HARNESS_LIST) for (const c of mine) console.log(`COMPARED ${n.name}: ${c}`);
          const lab = world.nodes[n.name];
          const d = await compare(
            lab,
            mine,
            async (cmd, dir) => {
              const v = classify(cmd);
              let out = cmd;
              if (v.compare)
                for (const [i, s] of v.standIns.entries()) {
                  // NOTE: the EL6 query runs on the lab only; both sides read its output from /tmp.
                  const r = await lab.exec(s);
                  const f = `/tmp/anvil-standin-${i}`;
                  lab.fs.writeFile(f, r.stdout);
                  writeFileSync(join(dir, f), r.stdout);
                  out = out.replace(s, `cat ${f}`);
                }
              return out;
            },
            { normalise: normaliseLs },
          );
          for (const [c, why] of Object.entries(d)) diffs[`${n.name}: ${c}`] = why;
        }
      }
      for (const [c, d] of Object.entries(diffs)) console.log(`DIFF ${JSON.stringify(c)}\n  ${d}`);
      const nFiltered = [...filtered.values()].reduce((a, b) => a + b, 0);
      console.log(
        `commands the steps send (journals of both example installs + the runbook's, distinct per node): ${total}; ` +
          `compared ${compared}, filtered ${nFiltered}, differ ${Object.keys(diffs).length}\nfiltered by reason:\n` +
          [...filtered.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([r, k]) => `  ${k}\t${r}`)
            .join('\n'),
      );
      expect(compared + nFiltered).toBe(total);
      expect(Object.keys(diffs).sort()).toEqual(Object.keys(KNOWN_SENT).sort());
    },
  );

  it(`${COMMANDS.length} variants: exit code, stdout and changed files agree (or are known differences)`, async () => {
    // NOTE: one lab node (a world takes seconds to build).
    const lab = createWorld({ seed: 7 }).nodes['an-node01'];
    lab.fs.writeFile('/etc/hosts', HOSTS);
    const diffs = await compare(lab, COMMANDS);
    for (const [c, d] of Object.entries(diffs)) console.log(`DIFF ${JSON.stringify(c)}\n  ${d}`);
    console.log(`${COMMANDS.length} commands compared, ${Object.keys(diffs).length} differ`);
    expect(Object.keys(diffs).sort()).toEqual(Object.keys(KNOWN).sort());
  });
});

/**
 * The commands the steps really send, for the shell differential harness: every distinct command of
 * the lab's journals after a whole install of an example's answers (the built CLI, `install --lab
 * --yes`, in a scratch state folder), plus every command the runbook prints (each task's `commands`
 * and `live.commands` for each node). `classify` says which of them can run on real bash and GNU tools
 * in a chroot of the node's files, and why the others cannot.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { STEPS } from '../../../steps/index.js';
import { nodesFor } from '../../../src/engine/types.js';
import type { Plan } from '../../../src/plan/derive.js';
import { readJournal } from '../../../src/lab/store/journal.js';

/** One command and where it came from. */
export interface SentCommand {
  node: string;
  cmd: string;
  /** `journal` (the install sent it) or `runbook` (a task's printed commands). */
  source: 'journal' | 'runbook';
}

/** Run a whole install of `answers` on the lab (the built CLI) into `state`; rejects on failure. */
export function installOnLab(
  root: string,
  answers: string,
  state: string,
  env: Record<string, string> = {},
): Promise<void> {
  // NOTE: asynchronous, so that a test can run two installs side by side (each is one core's work).
  const p = spawn(
    process.execPath,
    [join(root, 'bin', 'anvil-install.js'), 'install', '--lab', '--yes', '--answers', answers, '--state', state],
    { cwd: root, env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
  );
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`install --lab ${answers} failed (${code}):\n${out}`)),
    ),
  );
}

/** Distinct (node, command) pairs: the journals of the install in `state`, then the runbook's. */
export function sentCommands(state: string, plan: Plan): SentCommand[] {
  const out = new Map<string, SentCommand>();
  const add = (c: SentCommand) => {
    const k = `${c.node}\0${c.cmd}`;
    if (!out.has(k)) out.set(k, c);
  };
  for (const n of plan.nodes)
    for (const e of readJournal(join(state, 'lab'), n.name))
      if ('cmd' in e) add({ node: n.name, cmd: e.cmd, source: 'journal' });
  for (const s of STEPS)
    for (const t of s.tasks)
      for (const n of nodesFor(plan, t.on)) {
        for (const cmd of t.commands?.(plan, n) ?? []) add({ node: n.name, cmd, source: 'runbook' });
        for (const cmd of t.live?.commands(plan, n) ?? []) add({ node: n.name, cmd, source: 'runbook' });
      }
  return [...out.values()];
}

/**
 * Programs run on real bash and GNU tools: shell builtins and the generic file and text tools (the
 * issue's list). Anything else is an EL6 program (cluster, storage, virt, packages, services, network)
 * that cannot run for real here.
 */
export const GENERIC = new Set(
  (
    'true false test [ echo printf read cd set export umask exit return break continue local shift eval : ' +
    'cat ls cp mv rm mkdir rmdir ln chmod chown touch stat readlink head tail wc cut sort uniq tr tee sed awk ' +
    'gawk grep egrep fgrep diff cmp getent find xargs basename dirname hostname uname id whoami bash sh seq ' +
    'expr sleep env'
  ).split(' '),
);

/**
 * Read-only EL6 queries whose output feeds generic text tools in a pipe or a `` `…` ``: the harness
 * runs the query on the lab node once, and both sides then read that output from a file in /tmp
 * (`cat FILE` stands in for the query), so the text tools after it are compared.
 */
export const STAND_IN: RegExp[] = [/^gfs2_tool sb \S+ (uuid|table)$/];

/** A simple command's words (quotes removed) and its text. */
interface Simple {
  text: string;
  words: string[];
}

/**
 * Split a command line into simple commands at `|`, `||`, `&&`, `;`, `&`, newlines, `(`, `)`,
 * `` ` `` and `$(` outside single quotes (enough to name the programs a line runs; not a parser).
 */
export function simpleCommands(cmd: string): Simple[] {
  const out: Simple[] = [];
  let text = '';
  let sq = false;
  let dq = false;
  // NOTE: the quoting outside each open `$(` (a `"` inside it starts new quotes).
  const outer: boolean[] = [];
  const flush = () => {
    const t = text.trim();
    if (t && words(t).length) out.push({ text: t, words: words(t) });
    text = '';
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (sq) {
      text += c;
      if (c === "'") sq = false;
      continue;
    }
    if (c === '\\') {
      text += c + (cmd[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === "'" && !dq) {
      sq = true;
      text += c;
      continue;
    }
    if (c === '"') {
      dq = !dq;
      text += c;
      continue;
    }
    if (c === '`') {
      flush();
      continue;
    }
    if (c === '$' && cmd[i + 1] === '(' && cmd[i + 2] !== '(') {
      flush();
      outer.push(dq);
      dq = false;
      i++;
      continue;
    }
    if (c === ')' && !dq && outer.length) {
      flush();
      dq = outer.pop()!;
      continue;
    }
    // NOTE: `>&`, `&>`, `2>&1` are redirections, not a background or a list.
    const redir = c === '&' && (cmd[i - 1] === '>' || cmd[i - 1] === '<' || cmd[i + 1] === '>');
    if (!dq && !redir && '|&;()\n'.includes(c)) {
      flush();
      continue;
    }
    text += c;
  }
  flush();
  return out;
}

function words(t: string): string[] {
  const out: string[] = [];
  for (const m of t.matchAll(/(?:'[^']*'|"(?:\\.|[^"\\])*"|\\.|[^\s'"\\])+/g))
    out.push(m[0].replace(/'([^']*)'|"((?:\\.|[^"\\])*)"|\\(.)/g, (_a, s1, s2, s3) => s1 ?? s2 ?? s3));
  return out;
}

/** The program a simple command runs (after `VAR=value` words, `!`, `nohup`), or undefined. */
function program(s: Simple): string | undefined {
  const w = s.words.filter((x) => !/^\d*[<>]/.test(x) && !/^&?>/.test(x));
  let i = 0;
  while (i < w.length && (/^[A-Za-z_]\w*=/.test(w[i]) || w[i] === '!' || w[i] === 'nohup')) i++;
  return w[i];
}

/** Whether the line ends in `&` (a process left running in the background). */
function backgrounded(cmd: string): boolean {
  return /(^|[^&>])&\s*$/.test(cmd.replace(/\d*>&\d?|&>/g, ''));
}

/** What the harness does with a command. */
export type Verdict = { compare: true; standIns: string[] } | { compare: false; reason: string };

/**
 * The filter rule. A command is compared on real bash and GNU tools unless:
 * - it leaves a process in the background (`nohup … &`): a process, not a text result;
 * - a word names a device or kernel file (`/dev/*` but `/dev/null`, `/proc/*`, `/sys/*`): the real
 *   root holds no lab devices and /proc is the host's;
 * - a word names a file under `/bin`, `/sbin`, `/usr`, `/lib`: the real root has the host's programs
 *   there (read-only), not the node's;
 * - it reads the clock (`date`): lab time is not the host's, or it is `df` (the host's mounts);
 * - it is a comment line the runbook prints (`# …`);
 * - it runs a service script (`/etc/init.d/*`) or any program not in GENERIC (an EL6 program: cluster,
 *   storage, virt, packages, network) or a script the install wrote, except a read-only query in
 *   STAND_IN feeding text tools.
 */
export function classify(cmd: string): Verdict {
  if (/^\s*#/.test(cmd)) return { compare: false, reason: 'comment (a note the runbook prints)' };
  if (backgrounded(cmd)) return { compare: false, reason: 'background process (`… &`)' };
  const simple = simpleCommands(cmd);
  const standIns = simple.filter((s) => simple.length > 1 && STAND_IN.some((re) => re.test(s.text))).map((s) => s.text);
  const all = simple.filter((s) => !standIns.includes(s.text)).flatMap((s) => s.words);
  if (all.some((w) => /^\d*[<>]*\/(proc|sys)\//.test(w) || (/^\d*[<>]*\/dev\//.test(w) && !/\/dev\/null$/.test(w))))
    return { compare: false, reason: 'device or kernel file (/dev, /proc, /sys)' };
  if (all.some((w) => /^\/(s?bin|usr|lib)\//.test(w)))
    return { compare: false, reason: "program directories (/bin, /sbin, /usr, /lib: the real root has the host's)" };
  for (const s of simple) {
    if (standIns.includes(s.text)) continue;
    const p = program(s);
    if (p === undefined) continue;
    if (p === 'date') return { compare: false, reason: 'clock (date: lab time is not the host’s)' };
    if (p.startsWith('/etc/init.d/')) return { compare: false, reason: 'service script (/etc/init.d/*)' };
    if (GENERIC.has(p)) continue;
    if (p === 'df') return { compare: false, reason: "df (the mounted file systems are the host's)" };
    if (p.startsWith('/')) return { compare: false, reason: 'a script the install wrote (virt-install)' };
    return { compare: false, reason: `EL6 program: ${p}` };
  }
  return { compare: true, standIns };
}

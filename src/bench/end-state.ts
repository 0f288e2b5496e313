/**
 * What a kill campaign compares: the destructive commands each node's lab journal shows (each may
 * run once per node and target) and the observable end state of both nodes, volatile parts masked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorldOffline } from '../lab/index.js';

/** Commands that destroy data or create something unique: each may run at most once per node (and per target). */
export const DESTRUCTIVE: RegExp[] = [
  /^parted -s(?: -a optimal)? \S+ mkpart .*/,
  /^drbdadm create-md .*/,
  /^drbdadm -- --clear-bitmap new-current-uuid .*/,
  /^pvcreate .*/,
  /^vgcreate .*/,
  /^lvcreate .*/,
  /^mkfs\.gfs2 .*/,
  /^ssh-keygen -t rsa.*/,
  /^nohup \/shared\/provision\/\S+\.sh .*/,
];

/**
 * Whether a journal line is a command the lab cancelled before it started: exit 129 (its SSH channel
 * closed, the wizard killed) on a line of one simple command. The lab stops a cancelled command only
 * between steps (src/lab/shell/budget.ts `RunBudget.tick`), never inside a program, so such a line never
 * ran; the wizard's probe of the node rightly sends it again. A line of several commands may have run
 * part of itself, and counts.
 */
function neverStarted(cmd: string, code: number | string | undefined): boolean {
  return Number(code) === 129 && !/[;&|\n]/.test(cmd);
}

/** Per node, destructive command strings seen more than once in a lab journal folder. */
export function repeatedDestructive(labDir: string, nodes: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of nodes) {
    const f = join(labDir, 'journal', `${n}.jsonl`);
    if (!existsSync(f)) continue;
    const seen = new Map<string, number>();
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      const { cmd = '', code } = JSON.parse(line) as { cmd?: string; code?: number | string };
      if (neverStarted(cmd, code)) continue;
      if (DESTRUCTIVE.some((re) => re.test(cmd))) seen.set(cmd, (seen.get(cmd) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, k]) => k > 1).map(([c, k]) => `${c} (×${k})`);
    if (twice.length) out[n] = twice;
  }
  return out;
}

/** Commands whose output makes up a node's observable end state. */
export const END_STATE = [
  'cat /etc/hosts',
  'cat /etc/cluster/cluster.conf',
  'chkconfig --list',
  'cat /proc/net/bonding/bond0 /proc/net/bonding/bond1 /proc/net/bonding/bond2',
  'cat /proc/drbd',
  'cman_tool status',
  'clustat',
  'virsh list --all',
  'ls /etc /root /shared',
];

/** The end state of both nodes, volatile parts (keys, times, pids, counters) masked. */
export async function endState(labDir: string, nodes: string[]): Promise<Record<string, string>> {
  const world = await loadWorldOffline({ stateDir: labDir });
  const out: Record<string, string> = {};
  for (const n of nodes)
    for (const cmd of END_STATE) {
      const node = world.nodes[n];
      if (!node) continue;
      let text: string;
      try {
        const r = await node.exec(cmd);
        text = `${r.code}\n${r.stdout}${r.stderr}`;
      } catch (e) {
        text = `error: ${(e as Error).message}`;
      }
      out[`${n}: ${cmd}`] = text
        .replace(/AAAA[0-9A-Za-z+/]{40,}={0,2}/g, 'KEY')
        .replace(/Cluster Status for (\S+) @ .*/g, 'Cluster Status for $1 @ TIME')
        .replace(/Cluster Generation: \d+/g, 'Cluster Generation: N')
        .replace(/(ns|nr|dw|dr|al|bm|ep):\d+/g, '$1:N')
        .replace(/^ +\d+ +(\S+ +(running|paused))/gm, ' ID $1')
        .replace(/Link Failure Count: \d+/g, 'Link Failure Count: N');
    }
  return out;
}

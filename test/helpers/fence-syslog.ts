/**
 * Syslogs of the tutorial's four fence tests (lines 1757-1808: the survivors' fenced lines) and the
 * victims' boots after each, served by fake nodes the way `cat messages-* messages | grep -F` and `/proc/uptime` + `date` answer.
 */
import type { FakeNode } from './fake-node.js';

/** an-node02's fenced lines: an-node01 hung (1763-1764), then its power cut (1779-1781). */
export const NODE02_FENCED = `Dec 13 12:42:41 an-node02 fenced[2817]: fencing node an-node01.alteeve.ca
Dec 13 12:42:56 an-node02 fenced[2817]: fence an-node01.alteeve.ca success
Dec 13 12:45:48 an-node02 fenced[2817]: fencing node an-node01.alteeve.ca
Dec 13 12:46:08 an-node02 fenced[2817]: fence an-node01.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent
Dec 13 12:46:08 an-node02 fenced[2817]: fence an-node01.alteeve.ca success`;

/** an-node01's fenced lines: an-node02 hung (1793-1794), then its power cut (1806-1808). */
export const NODE01_FENCED = `Dec 13 12:52:36 an-node01 fenced[3501]: fencing node an-node02.alteeve.ca
Dec 13 12:52:51 an-node01 fenced[3501]: fence an-node02.alteeve.ca success
Dec 13 12:56:00 an-node01 fenced[3501]: fencing node an-node02.alteeve.ca
Dec 13 12:56:20 an-node01 fenced[3501]: fence an-node02.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent
Dec 13 12:56:20 an-node01 fenced[3501]: fence an-node02.alteeve.ca success`;

/** A boot banner as rsyslog's imklog logs it (the times are this test's own, between the tutorial's fences). */
export const banner = (time: string, host: string): string =>
  `Dec 13 ${time} ${host} kernel: Linux version 2.6.32-358.el6.x86_64 (mockbuild@c6b8.bsys.dev.centos.org)`;

/** Serve /var/log/messages (no rotated files) through `grep -F '<word>'`, and the uptime and date of the node. */
export function serveSyslog(n: FakeNode, uptime: { seconds: number; now: string }): void {
  n.on(/^cat \/var\/log\/messages-\* \/var\/log\/messages 2>\/dev\/null \| grep -F '([^']+)'$/, (_c, m) => {
    const hits = (n.files.get('/var/log/messages') ?? '').split('\n').filter((l) => l.includes(m[1]));
    return hits.length ? hits.join('\n') + '\n' : { code: 1 };
  });
  n.on(`cat /proc/uptime; date '+%b %e %H:%M:%S'`, `${uptime.seconds}.37 ${uptime.seconds * 2}.10\n${uptime.now}\n`);
}

/** Both nodes with the tutorial's four fences done and each victim booted after each of its fences. */
export function tutorialFenceLogs(a: FakeNode, b: FakeNode): void {
  a.files.set(
    '/var/log/messages',
    [banner('12:43:30', 'an-node01'), banner('12:47:02', 'an-node01'), NODE01_FENCED].join('\n') + '\n',
  );
  b.files.set(
    '/var/log/messages',
    [NODE02_FENCED, banner('12:53:40', 'an-node02'), banner('12:57:15', 'an-node02')].join('\n') + '\n',
  );
  serveSyslog(a, { seconds: 1200, now: 'Dec 13 13:07:02' });
  serveSyslog(b, { seconds: 600, now: 'Dec 13 13:07:15' });
}

/**
 * `ps aux`, `ps -ef` and `pgrep` in the lab (issue 16 point 3): procps 3.2.8 column layout
 * (ps/output.c widths, sortformat.c "aux" and "-f" formats; headers checked against procps on this
 * machine, whose layout is unchanged) and pgrep.c matching and exit codes.
 */
import { describe, expect, it } from 'vitest';
import { run, world } from './helpers.js';

describe('ps (procps 3.2.8)', () => {
  it('ps aux: the header and rows in its column widths; init, the running daemons (sshd as the init script starts it), ps itself', async () => {
    const n = Object.values(world().nodes)[0];
    const r = await run(n, 'ps aux');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND');
    expect(lines[1]).toMatch(
      /^root {9}1 {2}0\.0 {2}0\.0 {2}19352 {2}1536 \? {8}Ss {3}[ \d:A-Za-z]{5} {3}0:00 \/sbin\/init$/,
    );
    expect(r.out).toMatch(new RegExp(`^root +${n.pidOf('sshd')} .* /usr/sbin/sshd$`, 'm'));
    expect(lines.at(-1)).toMatch(/ ps aux$/);
    // a stopped service has no process
    await run(n, '/etc/init.d/sshd stop');
    expect((await run(n, 'ps aux')).out).not.toContain('/usr/sbin/sshd');
  });

  it('ps -ef: UID PID PPID C STIME TTY TIME CMD; daemons are children of init; other forms fail loudly', async () => {
    const n = Object.values(world().nodes)[0];
    const r = await run(n, 'ps -ef');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('UID        PID  PPID  C STIME TTY          TIME CMD');
    expect(lines[1]).toMatch(/^root {9}1 {5}0 {2}0 [ \d:A-Za-z]{5} \? {8}00:00:00 \/sbin\/init$/);
    expect(r.out).toMatch(/^root +\d+ +1 {2}0 .* \/sbin\/rsyslogd -i \/var\/run\/syslogd\.pid -c 5$/m);
    expect(await run(n, 'ps -C sshd')).toMatchObject({
      code: 1,
      err: expect.stringContaining('not simulated by the lab'),
    });
  });
});

describe('pgrep (procps 3.2.8)', () => {
  it('matches the process name with an extended regex, -l adds the name, -f the command line, never itself; 1 when nothing matches', async () => {
    const n = Object.values(world().nodes)[0];
    const sshd = n.pidOf('sshd');
    // the daemon and this session's sshd ("sshd: root@notty") are both named sshd
    expect((await run(n, 'pgrep sshd')).out).toMatch(new RegExp(`^${sshd}\\n\\d+\\n$`));
    expect((await run(n, "pgrep -l '^(acpid|crond)$'")).out).toMatch(/^\d+ acpid\n\d+ crond\n$/);
    expect((await run(n, 'pgrep -f syslogd.pid')).out).toMatch(/^\d+\n$/);
    expect(await run(n, 'pgrep pgrep')).toMatchObject({ code: 1, out: '' });
    // the tutorial's progress check of a running dd (2551): the lab's dd never outlives its command
    expect(await run(n, "pgrep -l '^dd$'")).toMatchObject({ code: 1, out: '' });
    expect((await run(n, 'pgrep a b')).code).toBe(2);
    expect((await run(n, 'pgrep')).err).toContain('pgrep: no matching criteria specified');
  });
});

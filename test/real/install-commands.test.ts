/**
 * The shell harness's filter rule (test/real/helpers/install-commands.ts): which commands the steps
 * send run on real bash and GNU tools, and why the others cannot.
 */
import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import { fstabEcho } from '../../steps/gfs2.js';
import { classify, simpleCommands } from './helpers/install-commands.js';

const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));

describe('the shell harness’s filter rule', () => {
  it('splits a line into simple commands at pipes, lists, substitutions; not inside quotes or at 2>&1', () => {
    expect(simpleCommands(`a 'x|y' | b "$(c)" && d >/dev/null 2>&1 || e; f \`g\``).map((s) => s.words[0])).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
    ]);
  });

  it('compares generic commands; filters EL6 programs, devices, services, the clock, background processes', () => {
    expect(classify('test -d /shared/definitions || echo /shared/definitions')).toEqual({
      compare: true,
      standIns: [],
    });
    expect(classify('wc -l < /var/log/messages')).toEqual({ compare: true, standIns: [] });
    expect(classify('chkconfig --list cman; chkconfig --list rgmanager')).toEqual({
      compare: false,
      reason: 'EL6 program: chkconfig',
    });
    expect(classify('test -b /dev/sda')).toMatchObject({ compare: false, reason: /device/ });
    expect(classify('drbdadm dump-md r0 >/dev/null 2>&1')).toMatchObject({ reason: 'EL6 program: drbdadm' });
    expect(classify('/etc/init.d/gfs2 stop && /etc/init.d/clvmd stop')).toMatchObject({ reason: /service script/ });
    expect(classify("nohup sh -c 'sleep 1; reboot' >/dev/null 2>&1 &")).toMatchObject({ reason: /background/ });
    expect(classify("date '+%b %e %H:%M:%S'")).toMatchObject({ reason: /clock/ });
    expect(classify('chmod a+x /sbin/obliterate-peer.sh')).toMatchObject({ reason: /program directories/ });
  });

  it('the runbook’s fstab one-liner: gfs2_tool stands in by its lab output, awk and sed are compared', () => {
    expect(classify(fstabEcho(plan))).toEqual({
      compare: true,
      standIns: ['gfs2_tool sb /dev/shared-vg0/shared uuid'],
    });
    expect(classify('gfs2_tool sb /dev/shared-vg0/shared uuid')).toMatchObject({ reason: /device/ });
    expect(classify('gfs2_tool df')).toMatchObject({ reason: 'EL6 program: gfs2_tool' });
  });
});

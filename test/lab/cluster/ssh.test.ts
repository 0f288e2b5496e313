/**
 * The cluster over real SSH, the way the installer drives it: init scripts, passwords on stdin,
 * `cman_tool version -r` with the ricci passwords on stdin, a hang that never answers, lab time moved
 * by the control endpoint's `advance`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../../src/plan/load.js';
import { startLab, type LabHandle } from '../../../src/lab/index.js';
import { createWorld, type World } from '../../../src/lab/world.js';
import { parseFault, runControl } from '../../../src/lab/server/control.js';
import { sshExec } from '../../../src/lab/server/control.js';
import { clusterReady, CONF_V7, N1, N2 } from './helpers.js';
import { POWER_ON_BOOT_MS } from '../../../src/lab/power/power.js';

describe('cluster over SSH', () => {
  const dirs: string[] = [];
  const labs: LabHandle[] = [];
  afterEach(async () => {
    for (const l of labs.splice(0)) await l.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('starts the cluster, pushes a config through ricci, survives a hang of node 1 (fenced by node 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-lab-cluster-'));
    dirs.push(dir);
    const lab = await startLab({ stateDir: dir, answers: loadAnswers('examples/tutorial.anvil.yaml'), createWorld });
    labs.push(lab);
    const w = lab.world as unknown as World;
    await clusterReady(w);
    const x = (node: string, cmd: string, stdin?: string) =>
      sshExec(lab.connectOptions(node), cmd, stdin === undefined ? {} : { stdin });
    expect(await x(N1, 'passwd --stdin ricci', 'secret\n')).toEqual({
      code: 0,
      stdout: 'Changing password for user ricci.\npasswd: all authentication tokens updated successfully.\n',
      stderr: '',
    });
    expect((await x(N1, 'passwd -S ricci')).stdout).toMatch(/^ricci PS /);
    expect((await x(N2, '/etc/init.d/ricci status')).stdout).toMatch(/^ricci \(pid +\d+\) is running\.\.\.\n$/);
    const [a, b] = await Promise.all([
      x(N1, '/etc/init.d/cman status >/dev/null 2>&1 || /etc/init.d/cman start'),
      x(N2, '/etc/init.d/cman start'),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect((await x(N1, 'cman_tool status')).stdout).toContain('Nodes: 2\n');
    w.nodes[N1].fs.writeFile('/etc/cluster/cluster.conf', CONF_V7.replace('config_version="7"', 'config_version="8"'));
    const push = await x(N1, 'cman_tool version -r', 'secret\nsecret\n');
    expect(push.code).toBe(0);
    expect(push.stdout).toBe(
      'You have not authenticated to the ricci daemon on an-node01.alteeve.ca\nYou have not authenticated to the ricci daemon on an-node02.alteeve.ca\n',
    );
    expect((await x(N2, 'cman_tool version')).stdout).toBe('6.2.0 config 8\n');

    const mark = Number((await x(N2, 'wc -l < /var/log/messages')).stdout.trim());
    // the hang never answers: the session dies under the command
    const hang = await x(N1, 'echo c > /proc/sysrq-trigger').then(
      (r) => r.code,
      (e: Error) => e.message,
    );
    expect(hang === null || /closed/.test(String(hang))).toBe(true);
    await expect(x(N1, 'true')).rejects.toThrow();
    const control = { world: lab.world, status: () => lab.status(), save: () => undefined };
    for (let i = 0; i < 20; i++) expect((await runControl(control, 'advance 2000')).code).toBe(0);
    const tail = (await x(N2, `tail -n +${mark + 1} /var/log/messages | grep fenced`)).stdout;
    expect(tail).toMatch(
      /fenced\[\d+\]: fencing node an-node01\.alteeve\.ca\n.*fenced\[\d+\]: fence an-node01\.alteeve\.ca success\n$/,
    );
    // node 1 was rebooted by IPMI: after its POST it answers again, without cman; waited for as the
    // installer does (a try every 5 s of lab time, steps/cluster-ops.ts waitForNodeBack)
    let tries = 0;
    for (; tries < 60; tries++) {
      if (
        await x(N1, 'true').then(
          () => true,
          () => false,
        )
      )
        break;
      expect((await runControl(control, 'advance 5000')).code).toBe(0);
    }
    expect(tries).toBeGreaterThan(0);
    expect(tries).toBeLessThan(60);
    expect((await x(N1, '/etc/init.d/cman status')).code).toBe(3);
  }, 90000);

  it('a detached hang (nohup ... &) returns at once, then the node stops answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-lab-cluster-'));
    dirs.push(dir);
    const lab = await startLab({ stateDir: dir, answers: loadAnswers('examples/tutorial.anvil.yaml'), createWorld });
    labs.push(lab);
    const w = lab.world as unknown as World;
    const r = await sshExec(
      lab.connectOptions(N2),
      `nohup sh -c 'sleep 1; echo c > /proc/sysrq-trigger' >/dev/null 2>&1 &`,
    );
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    await w.settle();
    expect(w.nodes[N2].running).toBe(false);
    await expect(sshExec(lab.connectOptions(N2), 'true')).rejects.toThrow();
  }, 60000);
});

describe('lab faults for fencing', () => {
  it('parses bmc, pdu and outlet faults and applies them through the control endpoint', async () => {
    expect(parseFault(['bmc', N1, 'down'], [N1, N2])).toEqual({ kind: 'bmc', node: N1, up: false });
    expect(parseFault(['pdu', 'pdu2', 'up'], [N1, N2])).toEqual({ kind: 'pdu', pdu: 'pdu2', up: true });
    expect(parseFault(['outlet', 'pdu2', '01', N2], [N1, N2])).toEqual({
      kind: 'outlet',
      pdu: 'pdu2',
      port: '1',
      node: N2,
    });
    expect(() => parseFault(['outlet', 'pdu2', 'x', N2], [N1, N2])).toThrow(/port number 1-24/);
    expect(() => parseFault(['bmc', 'an-node09', 'down'], [N1, N2])).toThrow(/unknown node "an-node09"/);
    const w = createWorld({ answers: loadAnswers('examples/tutorial.anvil.yaml') });
    const control = {
      world: w,
      status: () => ({ pid: 0, stateDir: '', nodes: {}, control: { port: 0 } }),
      save: () => undefined,
    };
    expect((await runControl(control, 'fault outlet pdu2 1 an-node02')).code).toBe(0);
    expect(w.pdus[0].outlets).toEqual({ '1': N2, '2': N2 });
    expect((await runControl(control, 'fault bmc an-node01 down')).code).toBe(0);
    expect(w.bmcs[0].up).toBe(false);
    const bad = await runControl(control, 'fault pdu pdu9 down');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no PDU named pdu9');
    // pulling the cords kills the node and its BMC; plugging them back boots it
    expect((await runControl(control, 'fault power an-node02 off')).code).toBe(0);
    expect(w.unplugged).toEqual([N2]);
    const saved = createWorld({ saved: JSON.parse(JSON.stringify(w.toJSON())) });
    expect(saved.unplugged).toEqual([N2]);
    expect(saved.pdus[0].outlets['1']).toBe(N2);
    expect((await runControl(control, 'fault power an-node02 on')).code).toBe(0);
    expect(w.nodes[N2].power).toBe('on');
    expect(w.nodes[N2].running).toBe(false);
    expect((await runControl(control, `advance ${POWER_ON_BOOT_MS}`)).code).toBe(0);
    expect(w.nodes[N2].running).toBe(true);
  }, 60000);
});

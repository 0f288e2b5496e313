/**
 * The hosts verify against the lab's `getent hosts` (glibc's first-match rule): each name must resolve
 * to its planned address by its own answer, so an earlier wrong line, a missing name or a lookup
 * answered by another name's line is drift.
 */
import { describe, expect, it } from 'vitest';
import { hosts } from '../../steps/hosts.js';
import { VerifyFailed } from '../../src/errors.js';
import type { ExecResult } from '../../src/engine/types.js';
import type { LabNode } from '../../src/lab/node/node.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';
import { HOSTS, world } from '../lab/helpers.js';

const task = hosts.tasks.find((t) => t.id === 'hosts.write')!;
const p = tutorialPlan();

/** A fake node whose commands run on a lab node. */
class LabBacked extends FakeNode {
  constructor(
    private readonly lab: LabNode,
    n = p.nodes[0],
  ) {
    super(n);
  }
  override async exec(cmd: string): Promise<ExecResult> {
    this.commands.push(cmd);
    const r = await this.lab.exec(cmd);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: 1 };
  }
}

async function verifyWith(etcHosts: string): Promise<unknown> {
  const w = world();
  const lab = w.nodes['an-node01'];
  lab.fs.writeFile('/etc/hosts', etcHosts);
  const node = new LabBacked(lab);
  try {
    return await task.verify!(fakeContext(p, node, node));
  } catch (e) {
    return e;
  }
}

describe('hosts.write verify', () => {
  it("passes on the tutorial's /etc/hosts", async () => {
    expect(await verifyWith(HOSTS)).toEqual({ summary: '12 names resolve as planned', details: { names: 12 } });
  });

  it('fails when an earlier line gives a node name another address (a later line listing it must not hide that)', async () => {
    const e = await verifyWith(HOSTS.replace('# an-node01\n', '10.9.9.9 an-node02.bcn an-node02\n# an-node01\n'));
    expect(e).toBeInstanceOf(VerifyFailed);
    expect((e as VerifyFailed).seen).toBe('an-node02 -> 10.9.9.9, an-node02.bcn -> 10.9.9.9');
    expect((e as VerifyFailed).expected).toBe('an-node02 -> 10.20.0.2, an-node02.bcn -> 10.20.0.2');
  });

  it('fails when a name is missing, naming it unresolved', async () => {
    const e = await verifyWith(HOSTS.replace('10.10.0.2\tan-node02.sn\n', ''));
    expect(e).toBeInstanceOf(VerifyFailed);
    expect((e as VerifyFailed).seen).toBe('an-node02.sn -> unresolved');
  });

  it('fails when a name resolves to another address', async () => {
    const e = await verifyWith(HOSTS.replace('10.255.0.1\tan-node01.ifn', '10.255.0.9\tan-node01.ifn'));
    expect((e as VerifyFailed).seen).toBe('an-node01.ifn -> 10.255.0.9');
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../../src/engine/types.js';
import type { Plan } from '../../src/plan/derive.js';
import { FakePrompter } from '../../src/engine/prompts.js';
import { summaryLines, type RunResult } from '../../src/engine/runner.js';
import { readState, StateStore } from '../../src/state/store.js';
import { parseJournal } from '../../src/state/journal.js';
import { AnvilError, MissingAnswer, PromptCancelled } from '../../src/errors.js';
import { MASK } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';
import {
  APPROVE,
  macsOf,
  makeWorld,
  runIn,
  SECRETS,
  syntheticSteps,
  T,
  tempDir,
  testAnswers,
} from '../helpers/synthetic-steps.js';

type Statuses = Record<string, Record<string, string>>;

function statuses(dir: string): Statuses {
  const s = readState(dir)!;
  return Object.fromEntries(
    Object.entries(s.tasks).map(([id, r]) => [
      id,
      Object.fromEntries(Object.entries(r).map(([n, x]) => [n, x.status])),
    ]),
  );
}

function stateText(dir: string): string {
  return readFileSync(join(dir, 'state.json'), 'utf8');
}

function journalText(dir: string): string {
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8');
}

/** Edit state.json in place (a test stands in for a crash or an old run). */
function patchState(dir: string, fn: (s: NonNullable<ReturnType<typeof readState>>) => void): void {
  const s = readState(dir)!;
  fn(s);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(s));
}

const ALL_DONE: Statuses = {
  'prep.macs': { 'kvm-a': 'done', 'kvm-b': 'done' },
  'prep.conf': { 'kvm-a': 'done', 'kvm-b': 'done' },
  'disk.mkpart': { 'kvm-a': 'done', 'kvm-b': 'done' },
  'disk.lvm': { 'kvm-a': 'done', 'kvm-b': 'done' },
  'disk.free': { 'kvm-a': 'done' },
  'check.failover': { 'kvm-a': 'skipped' },
  'cluster.create': { 'kvm-a': 'done' },
  'cluster.start': { 'kvm-a': 'done', 'kvm-b': 'done' },
};

describe('runner: a whole run', () => {
  it('runs every task on the right nodes, uses captured values, and leaves a valid state.json after every action', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const invalid: string[] = [];
    let checks = 0;
    for (const n of Object.values(w.nodes))
      n.inject = () => {
        // NOTE: every remote action is a moment a crash could happen: the file on disk must parse then.
        try {
          const s = readState(dir);
          if (s) checks++;
        } catch (e) {
          invalid.push((e as Error).message);
        }
      };
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.outcome).toBe('complete');
    expect(invalid).toEqual([]);
    expect(checks).toBeGreaterThan(20);
    expect(statuses(dir)).toEqual(ALL_DONE);
    const s = readState(dir)!;
    expect(s.nodes).toEqual(['kvm-a', 'kvm-b']);
    expect(
      Object.values(s.tasks)
        .flatMap((x) => Object.values(x))
        .filter((x) => x.status === 'done')
        .every((x) => x.runs === 1 && !!x.inputHash && !!x.finishedAt && !!x.evidence),
    ).toBe(true);
    expect(s.captured['partitions.freeStart']).toBe('47.5GB');
    expect(s.captured['nics.kvm-b']).toEqual({
      bcn: [macsOf('kvm-b')[0], macsOf('kvm-b')[3]],
      sn: [macsOf('kvm-b')[1], macsOf('kvm-b')[4]],
      ifn: [macsOf('kvm-b')[2], macsOf('kvm-b')[5]],
    });
    // the config was rendered after the capture: it holds the captured MACs
    const conf = w.nodes['kvm-b'].files.get('/etc/demo.conf')!;
    expect(conf.data).toContain(`eth0 = ${macsOf('kvm-b')[0]}`);
    expect(conf.data).toContain(`ricci_password = ${SECRETS.RICCI_PW}`);
    expect(conf.mode).toBe(0o600);
    // the edit applied to the node's own file, the original kept in /root/backups
    expect(w.nodes['kvm-a'].files.get('/etc/lvm/lvm.conf')!.data).toContain('locking_type = 3');
    expect(w.nodes['kvm-a'].files.get('/root/backups/lvm.conf')!.data).toContain('locking_type = 1');
    // the once task ran once, on node 1 only, with the captured free-space start
    expect(w.nodes['kvm-a'].vars.createdAs).toBe('bc-prod-7@47.5GB');
    expect(w.nodes['kvm-b'].count(/^demo-create /)).toBe(0);
    expect(r.executed).toContain('cluster.create@kvm-a');
  });

  it('journals every remote command with node, exit code and duration; secrets appear only masked', async () => {
    const w = makeWorld();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    const j = parseJournal(journalText(dir));
    for (const name of ['kvm-a', 'kvm-b']) {
      const cmds = j.filter((e) => e.kind === 'exec' && e.node === name).map((e) => e.cmd);
      expect(cmds).toEqual(w.nodes[name].commands.map((c) => c.split(SECRETS.RICCI_PW).join(MASK)));
    }
    const apply = j.find((e) => e.cmd?.startsWith('demo-apply'))!;
    expect(apply).toMatchObject({ node: expect.any(String), task: 'prep.conf', code: 0, ms: expect.any(Number) });
    expect(apply.cmd).toBe(`demo-apply '${MASK}'`);
    expect(apply.stdout).toBe(`applied with '${MASK}'\n`);
    expect(j.filter((e) => e.kind === 'write').map((e) => `${e.node}:${e.path}:${e.backup ?? ''}`)).toEqual(
      expect.arrayContaining([
        'kvm-a:/etc/demo.conf:/etc/demo.conf.orig',
        'kvm-b:/etc/lvm/lvm.conf:/root/backups/lvm.conf',
      ]),
    );
    for (const text of [journalText(dir), stateText(dir)]) {
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
      expect(text).toContain(MASK);
    }
  });

  it('prints a summary naming done, skipped and not-yet-executable steps, the state folder and the runbook command', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const steps: Step[] = [...syntheticSteps(), { id: 'later', title: 'Later', doc: '', tasks: [] }];
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps });
    expect(r.outcome).toBe('not-executable');
    const store = StateStore.open(dir);
    try {
      const text = summaryLines(steps, store, r, 'anvil-install runbook --state X').join('\n');
      expect(text).toMatch(/done: +prep, disk, cluster/);
      expect(text).toMatch(/skipped: +check/);
      expect(text).toMatch(/not yet executable: later/);
      expect(text).toContain(`state folder:       ${store.dir}`);
      expect(text).toContain('anvil-install runbook --state X');
    } finally {
      store.close();
    }
  });
});

describe('runner: diffs', () => {
  // NOTE: demo.conf lists the MACs: these answers carry them, so the diff is known at the step's approval.
  const withNics = loadAnswers('test/fixtures/other.anvil.yaml', { ...SECRETS });
  const fileOnly = (verifyText?: string): Step[] => [
    {
      id: 'files',
      title: 'Files',
      doc: '',
      tasks: [
        {
          id: 'files.conf',
          title: 'demo.conf',
          on: 'both',
          kind: 'safe',
          files: () => [{ path: '/etc/demo.conf', template: T('demo.conf.ejs'), backup: 'orig' }],
          commands: () => ['true'],
          async verify(ctx) {
            const f = await ctx.node.readFile('/etc/demo.conf');
            if (verifyText && !f?.includes(verifyText))
              throw new AnvilError(`${ctx.node.plan.name}: demo.conf lacks ${verifyText}`);
            return { summary: f === null ? 'no file' : 'file present' };
          },
        },
      ],
    },
  ];

  it("shows each node's masked diff on the step's approval and writes both on approve, asking nothing more", async () => {
    const w = makeWorld();
    w.nodes['kvm-a'].files.set('/etc/demo.conf', { data: 'old contents\n', mode: 0o644 });
    w.nodes['kvm-b'].files.set('/etc/demo.conf', { data: 'kept by the operator\n', mode: 0o644 });
    const prompter = new FakePrompter({ 'Approve step 1 of 1 (files)?': 'approve this step' });
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, prompter, steps: fileOnly(), answers: withNics });
    expect(r.outcome).toBe('complete');
    expect(prompter.asked).toHaveLength(1);
    const q = prompter.asked[0];
    expect(q.kind).toBe('select');
    expect(q.message).toContain('/etc/demo.conf on kvm-a: changed');
    expect(q.message).toContain('/etc/demo.conf on kvm-b: changed');
    expect(q.message).toContain('-old contents');
    expect(q.message).toContain('-kept by the operator');
    expect(q.message).toContain('+cluster = bc-prod-7');
    expect(q.message).toContain(`+ricci_password = ${MASK}`);
    expect(q.message).not.toContain(SECRETS.RICCI_PW);
    for (const n of ['kvm-a', 'kvm-b'])
      expect(w.nodes[n].files.get('/etc/demo.conf')!.data).toContain('cluster = bc-prod-7');
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf.orig')!.data).toBe('old contents\n');
    expect(w.nodes['kvm-b'].files.get('/etc/demo.conf.orig')!.data).toBe('kept by the operator\n');
  });

  it('skip leaves both nodes untouched, says what will fail, and ends "skipped"; the next run asks again', async () => {
    const w = makeWorld();
    w.nodes['kvm-a'].files.set('/etc/demo.conf', { data: 'old contents\n', mode: 0o644 });
    const steps = fileOnly();
    steps[0].ifSkipped = 'nothing reads demo.conf';
    const prompter = new FakePrompter({ 'Approve step 1 of 1 (files)?': 'skip this step' });
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, prompter, steps, answers: withNics });
    expect(r.outcome).toBe('skipped');
    expect(r.stop!.message).toContain('files');
    expect(prompter.asked[0].message).toContain('If you skip this step: nothing reads demo.conf.');
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toBe('old contents\n');
    expect(w.nodes['kvm-b'].files.has('/etc/demo.conf')).toBe(false);
    expect(w.nodes['kvm-a'].commands.concat(w.nodes['kvm-b'].commands).filter((c) => !/^cat |^test /.test(c))).toEqual(
      [],
    );
    expect(readState(dir)!.tasks['files.conf']['kvm-a']).toMatchObject({
      status: 'pending',
      note: expect.stringContaining('skipped by the operator'),
    });
    const again = new FakePrompter({ 'Approve step 1 of 1 (files)?': 'approve this step' });
    expect((await runIn(dir, { transports: w.transports, prompter: again, steps, answers: withNics })).outcome).toBe(
      'complete',
    );
    expect(again.asked).toHaveLength(1);
  });

  it('abort at the approval stops the run before anything of the step happens on either node', async () => {
    const w = makeWorld();
    const prompter = new FakePrompter({ 'Approve step 1 of 1 (files)?': 'abort the install here' });
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, prompter, steps: fileOnly(), answers: withNics });
    expect(r.outcome).toBe('aborted');
    expect(r.stop).toMatchObject({ step: 'files' });
    expect(r.executed).toEqual([]);
    expect(statuses(dir)['files.conf']).toBeUndefined();
    for (const n of ['kvm-a', 'kvm-b']) {
      expect(w.nodes[n].files.has('/etc/demo.conf')).toBe(false);
      expect(w.nodes[n].commands).toEqual([]);
    }
  });

  it('asks nothing and writes nothing when the node already has the planned content', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const prompter = new FakePrompter({ 'Approve step': 'approve this step' });
    await runIn(dir, { transports: w.transports, prompter, steps: fileOnly(), answers: withNics });
    expect(prompter.asked).toHaveLength(1);
    // a second install on a fresh state folder finds identical files: the step still runs its
    // command, so it is shown once, with no diff
    const again = new FakePrompter({ 'Approve step': 'approve this step' });
    const dir2 = tempDir();
    const r = await runIn(dir2, {
      transports: w.transports,
      prompter: again,
      steps: fileOnly('cluster = bc-prod-7'),
      answers: withNics,
    });
    expect(r.outcome).toBe('complete');
    expect(again.asked).toHaveLength(1);
    expect(again.asked[0].message).not.toContain('/etc/demo.conf on');
    expect(again.asked[0].message).toContain('$ true');
    expect(parseJournal(journalText(dir2)).filter((e) => e.kind === 'write')).toEqual([]);
    // and a third run on that folder has nothing left to do: no question at all
    const third = new FakePrompter({});
    expect(
      (
        await runIn(dir2, {
          transports: w.transports,
          prompter: third,
          steps: fileOnly('cluster = bc-prod-7'),
          answers: withNics,
        })
      ).outcome,
    ).toBe('complete');
    expect(third.asked).toEqual([]);
  });
});

describe('runner: gates', () => {
  it('--yes stops at a gate (pending, exit-0 outcome) and the resume after it counts as the operator having acted', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, yes: true });
    expect(r.outcome).toBe('gate');
    expect(r.stop!.message).toBe(
      `operator action needed: check/check.failover — run \`anvil-install resume --state ${dir}\` after doing it`,
    );
    const rec = readState(dir)!.tasks['check.failover']['kvm-a'];
    expect(rec).toMatchObject({ status: 'pending', awaitingOperator: true });
    expect(w.nodes['kvm-a'].count(/^demo-create /)).toBe(0);
    expect(statuses(dir)['cluster.create']).toBeUndefined();

    // `install --yes` again is not a confirmation: it stops at the same gate
    const again = await runIn(dir, { transports: w.transports, yes: true });
    expect(again.outcome).toBe('gate');
    expect(again.executed).toEqual([]);

    const resumed = await runIn(dir, { transports: w.transports, yes: true, resumeGates: true });
    expect(resumed.outcome).toBe('complete');
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'done',
      evidence: { summary: 'operator resumed the run after the gate stop' },
    });
    expect(readState(dir)!.tasks['check.failover']['kvm-a'].awaitingOperator).toBeUndefined();
    expect(w.nodes['kvm-a'].count(/^demo-create /)).toBe(1);
  });

  it('--accept-gates records the gate as skipped with a note and carries on', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.outcome).toBe('complete');
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'skipped',
      note: expect.stringContaining('--accept-gates'),
    });
  });

  it('interactive: every checklist item is confirmed; a "no" stops the run there', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const no = new FakePrompter({ ...APPROVE, 'cable pulled': true, 'failover seen': false });
    const r = await runIn(dir, { transports: w.transports, prompter: no });
    expect(r.error).toBeUndefined();
    expect(r.outcome).toBe('gate');
    const gateQs = no.asked.filter((a) => a.kind === 'confirm');
    expect(gateQs.map((a) => a.message.split('\n').pop())).toEqual(['[1/2] cable pulled', '[2/2] failover seen']);
    expect(gateQs[0].message).toContain('Pull the BCN cable of kvm-a.');
    expect(readState(dir)!.tasks['check.failover']['kvm-a'].status).toBe('pending');

    const yes = new FakePrompter({ ...APPROVE, 'cable pulled': true, 'failover seen': true });
    const r2 = await runIn(dir, { transports: w.transports, prompter: yes });
    expect(r2.outcome).toBe('complete');
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'done',
      evidence: { summary: 'operator confirmed 2 items' },
    });
  });
});

describe('runner: cancelled prompt', () => {
  it('Esc/Ctrl-C at a gate question aborts the run and leaves the gate pending', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const fake = new FakePrompter({ ...APPROVE });
    const prompter = {
      ...fake,
      select: fake.select.bind(fake),
      input: fake.input.bind(fake),
      confirm: async () => Promise.reject(new PromptCancelled()),
    };
    const r = await runIn(dir, { transports: w.transports, prompter });
    expect(r.outcome).toBe('aborted');
    expect(r.error).toBeInstanceOf(PromptCancelled);
    expect(r.stop).toMatchObject({ task: 'check.failover', node: 'kvm-a' });
    expect(readState(dir)!.tasks['check.failover']?.['kvm-a']?.status ?? 'pending').toBe('pending');
    expect(w.nodes['kvm-a'].count(/^demo-create /)).toBe(0);
  });
});

describe('runner: prompts under --yes', () => {
  it('fails with MissingAnswer naming the path when a needed value has no default', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const steps: Step[] = [
      {
        id: 'ask',
        title: 'Ask',
        doc: '',
        tasks: [
          {
            id: 'ask.pw',
            title: 'Ask for a password',
            on: 'node1',
            kind: 'safe',
            async run(ctx) {
              const port = await ctx.prompt.input('SSH port', { def: '22', path: 'nodes[0].ssh.port' });
              await ctx.node.sh(`echo ${port}`);
              await ctx.prompt.input('ricci password', { path: 'ricci.password', secret: true });
            },
            verify: async () => ({ summary: 'asked' }),
          },
        ],
      },
    ];
    const r = await runIn(dir, { transports: w.transports, yes: true, steps });
    expect(r.outcome).toBe('failed');
    expect(r.error).toBeInstanceOf(MissingAnswer);
    expect((r.error as MissingAnswer).path).toBe('ricci.password');
    expect(w.nodes['kvm-a'].commands).toEqual(['echo 22']);
    expect(readState(dir)!.tasks['ask.pw']['kvm-a']).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('ricci.password'),
    });
  });
});

describe('runner: step selection', () => {
  it('--from/--only refuse to start while an earlier task is not done, naming it', async () => {
    const w = makeWorld();
    const dir = tempDir();
    await expect(runIn(dir, { transports: w.transports, yes: true, from: 'disk' })).rejects.toThrow(
      /cannot start at disk: prep\/prep\.macs on kvm-a is pending/,
    );
    await expect(runIn(dir, { transports: w.transports, yes: true, only: 'cluster' })).rejects.toThrow(
      /prep\/prep\.macs on kvm-a/,
    );
    await expect(runIn(dir, { transports: w.transports, yes: true, from: 'nope' })).rejects.toThrow(
      /--from nope: no such step/,
    );
    expect(Object.values(w.nodes).every((n) => n.commands.length === 0)).toBe(true);
  });

  it('--to stops after a step; --from carries on; --only re-checks one step', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const a = await runIn(dir, { transports: w.transports, yes: true, to: 'prep' });
    expect(a.outcome).toBe('complete');
    expect(Object.keys(statuses(dir)).sort()).toEqual(['prep.conf', 'prep.macs']);
    const b = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, from: 'disk' });
    expect(b.outcome).toBe('complete');
    expect(b.executed[0]).toBe('disk.mkpart@kvm-a');
    expect(statuses(dir)).toEqual(ALL_DONE);
    const c = await runIn(dir, { transports: w.transports, yes: true, only: 'disk' });
    expect(c).toMatchObject({ outcome: 'complete', executed: [] });
    // an unfinished task before --from is found even when later steps are done
    patchState(dir, (s) => (s.tasks['disk.free']['kvm-a'].status = 'failed'));
    await expect(runIn(dir, { transports: w.transports, yes: true, from: 'cluster' })).rejects.toThrow(
      /disk\/disk\.free on kvm-a is failed/,
    );
  });
});

describe('runner: changed answers', () => {
  it('re-opens only the tasks whose inputs changed (nothing after them); once tasks consult done and never re-run', async () => {
    const w = makeWorld();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    const changed = testAnswers((a) => (a.cluster.name = 'bc-prod-8'));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, answers: changed });
    expect(r.outcome).toBe('complete');
    // NOTE: demo.conf names the cluster; cluster.create's inputs changed too, but its done probe settles it.
    expect(r.executed).toEqual(['prep.conf@kvm-a', 'prep.conf@kvm-b']);
    for (const n of Object.values(w.nodes)) expect(n.count(/^demo-start$/)).toBe(1);
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toContain('cluster = bc-prod-8');
    for (const n of Object.values(w.nodes)) expect(n.count(/^demo-mkpart$/)).toBe(1);
    expect(w.nodes['kvm-a'].count(/^demo-create /)).toBe(1);
    const s = readState(dir)!;
    expect(s.tasks['cluster.create']['kvm-a']).toMatchObject({
      status: 'done',
      runs: 1,
      note: expect.stringContaining('done probe'),
    });
    expect(s.tasks['prep.macs']['kvm-a'].runs).toBe(1);
    expect(s.tasks['prep.conf']['kvm-a'].runs).toBe(2);
    // same answers again: nothing to do
    const r3 = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, answers: changed });
    expect(r3.executed).toEqual([]);
  });
});

describe('runner: one-time transitions of the first build', () => {
  it('never re-runs a done firstBuildOnly task when a later change re-opens it, and says why in its record', async () => {
    const steps = syntheticSteps().map((st) => ({
      ...st,
      tasks: st.tasks.map((t) =>
        t.id === 'disk.free'
          ? {
              ...t,
              firstBuildOnly: 'found once on the fresh disk',
              expect: (p: Plan) => [`free space for ${p.cluster.name}`],
            }
          : t,
      ),
    }));
    const w = makeWorld();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps });
    const changed = testAnswers((a) => (a.cluster.name = 'bc-prod-8'));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, answers: changed, steps });
    expect(r.outcome).toBe('complete');
    expect(r.executed).not.toContain('disk.free@kvm-a');
    expect(r.executed).toContain('prep.conf@kvm-a');
    const s = readState(dir)!;
    expect(s.tasks['disk.free']['kvm-a']).toMatchObject({
      status: 'done',
      runs: 1,
      note: expect.stringContaining('found once on the fresh disk'),
    });
  });
});

describe('runner: interrupted tasks (status running found at start)', () => {
  async function doneRun() {
    const w = makeWorld();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    return { w, dir };
  }

  it('safe, verify passes: marked done without running', async () => {
    const { w, dir } = await doneRun();
    patchState(dir, (s) => (s.tasks['prep.conf']['kvm-a'].status = 'running'));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.executed).toEqual([]);
    expect(readState(dir)!.tasks['prep.conf']['kvm-a']).toMatchObject({
      status: 'done',
      runs: 1,
      note: expect.stringContaining('verify passed'),
    });
  });

  it('safe, verify fails: re-run', async () => {
    const { w, dir } = await doneRun();
    patchState(dir, (s) => (s.tasks['prep.conf']['kvm-a'].status = 'running'));
    w.nodes['kvm-a'].files.delete('/etc/demo.conf');
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.executed).toEqual(['prep.conf@kvm-a']);
    expect(readState(dir)!.tasks['prep.conf']['kvm-a']).toMatchObject({ status: 'done', runs: 2 });
    expect(w.nodes['kvm-a'].files.get('/etc/demo.conf')!.data).toContain('cluster = bc-prod-7');
  });

  it('once, verify passes: marked done, never run again', async () => {
    const { w, dir } = await doneRun();
    patchState(dir, (s) => (s.tasks['disk.mkpart']['kvm-b'].status = 'running'));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.executed).toEqual([]);
    expect(w.nodes['kvm-b'].count(/^demo-mkpart$/)).toBe(1);
    expect(statuses(dir)['disk.mkpart']['kvm-b']).toBe('done');
  });

  it('once, verify fails and the done probe says it did not happen: run (once)', async () => {
    const w = makeWorld();
    const dir = tempDir();
    await runIn(dir, { transports: w.transports, yes: true, to: 'prep' });
    patchState(dir, (s) => (s.tasks['disk.mkpart'] = { 'kvm-a': { status: 'running', runs: 1 } }));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.outcome).toBe('complete');
    expect(w.nodes['kvm-a'].count(/^demo-mkpart$/)).toBe(1);
    expect(readState(dir)!.tasks['disk.mkpart']['kvm-a']).toMatchObject({ status: 'done', runs: 2 });
  });

  it('once, verify fails, no done probe: refused with a message, never run', async () => {
    const w = makeWorld();
    const dir = tempDir();
    const steps = syntheticSteps();
    delete steps[1].tasks[0].done;
    await runIn(dir, { transports: w.transports, yes: true, to: 'prep', steps });
    patchState(dir, (s) => (s.tasks['disk.mkpart'] = { 'kvm-a': { status: 'running', runs: 1 } }));
    const r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true, steps });
    expect(r.outcome).toBe('failed');
    expect(String((r.error as Error).message)).toMatch(/disk\.mkpart on kvm-a was interrupted.*not re-run/);
    expect(w.nodes['kvm-a'].count(/^demo-mkpart$/)).toBe(0);
  });
});

describe('runner: Ctrl-C', () => {
  it('interrupt() leaves the running task as running in a consistent state.json, and resume finishes without repeating it', async () => {
    const w = makeWorld();
    const dir = tempDir();
    let runner!: Parameters<NonNullable<Parameters<typeof runIn>[2]>>[0];
    w.nodes['kvm-a'].inject = (what) => {
      if (what.kind === 'exec' && what.cmd === 'demo-mkpart') runner.interrupt();
    };
    let r!: RunResult;
    r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true }, (x) => (runner = x));
    await runner.settled();
    expect(r.outcome).toBe('interrupted');
    const s = readState(dir)!;
    expect(s.tasks['disk.mkpart']['kvm-a'].status).toBe('running');
    expect(s.tasks['disk.lvm']).toBeUndefined();
    // the command did run (the interrupt came while it was in flight)
    expect(w.nodes['kvm-a'].count(/^demo-mkpart$/)).toBe(1);
    w.nodes['kvm-a'].inject = undefined;
    r = await runIn(dir, { transports: w.transports, yes: true, acceptGates: true });
    expect(r.outcome).toBe('complete');
    expect(w.nodes['kvm-a'].count(/^demo-mkpart$/)).toBe(1);
    expect(statuses(dir)).toEqual(ALL_DONE);
  });
});

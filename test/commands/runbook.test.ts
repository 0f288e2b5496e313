import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { planWithCaptured } from '../../src/engine/captured.js';
import { inputHash } from '../../src/engine/input-hash.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS } from '../../steps/index.js';
import { runbookCommand } from '../../src/commands/runbook.js';
import { AnvilError } from '../../src/errors.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { findChromium } from '../../src/report/pdf.js';
import { destinationPages } from '../../src/report/pdf-pages.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { buildRunbook, runbookHtml, runbookMarkdown } from '../../src/report/runbook.js';
import { stepViews } from '../../src/report/tasks.js';
import { runCli } from './run-cli.js';
import { SAMPLE_STEPS } from '../report/sample-steps.js';
import { inOrder, plans, OTHER, OTHER_ENV, OTHER_SECRETS, TUTORIAL } from '../report/helpers.js';

const chromium = findChromium();
const pdftotext = spawnSync('pdftotext', ['-v']).status === 0;
if (chromium && !pdftotext)
  console.warn(
    'runbook.test: no pdftotext (apt-get install poppler-utils): the page-text checks of the PDF are skipped',
  );
if (!chromium) console.warn('runbook.test: no Chromium on PATH (apt-get install chromium): the PDF test is skipped');

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anvil-runbook-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function write(
  format: 'md' | 'html',
  answers: string,
  opts: { steps?: typeof STEPS; state?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const out = join(tmp(), `runbook.${format}`);
  const cap = captureOutput();
  const prev = setOutput(cap);
  try {
    await runbookCommand(
      { answers, out, format, state: opts.state },
      { steps: opts.steps, env: opts.env ?? OTHER_ENV, now: new Date('2026-03-02T10:00:00Z') },
    );
  } finally {
    setOutput(prev);
  }
  expect(cap.text()).toContain(`to ${out} (${format})`);
  // NOTE: the text as written; names kept whole on paper (html-names.test.ts) are compared without their spans
  return readFileSync(out, 'utf8')
    .replace(/<span class="nb">([^<]*)<\/span>/g, '$1')
    .replace(/<wbr>/g, '');
}

/** What the cover must show for the second cluster, whatever the steps are. */
function coverValues(): string[] {
  const { masked } = plans(OTHER, OTHER_ENV);
  return [
    'bc-prod-7',
    'example.org',
    ...masked.nodes.flatMap((n) => [n.fqdn, String(n.id), n.bcn, n.sn, n.ifn, n.ipmi, ...n.ifaces.map((i) => i.mac!)]),
    ...masked.resources.flatMap((r) => [r.name, r.device, r.partition, String(r.port), r.vg]),
    ...masked.vms.flatMap((v) => [v.name, v.lv, v.size, `${v.ram} MiB`, v.domain, `${v.os.type}/${v.os.variant}`]),
    'fence_ilo',
    'pdu-b',
  ];
}

describe.each(['md', 'html'] as const)('anvil-install runbook --format %s', (format) => {
  it('has every step title of STEPS in order, the cover summary, and no password', async () => {
    const doc = await write(format, OTHER);
    const esc = (s: string) =>
      format === 'html'
        ? s
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;')
            .replace(/"/g, '&quot;')
            .replace(/'/g, '&#39;')
        : s;
    const heading = (n: number, title: string) =>
      format === 'md' ? `## ${n}. ${title}` : `<h2><span class="num">${n}.</span> ${esc(title)}</h2>`;
    expect(
      inOrder(
        doc,
        STEPS.map((s, i) => heading(i + 1, s.title)),
      ),
    ).toEqual({ missing: [], outOfOrder: [] });
    for (const v of coverValues()) expect(doc, v).toContain(v);
    for (const s of OTHER_SECRETS) expect(doc).not.toContain(s);
    expect(doc).toContain('passwd=********');
    expect(doc.match(/Done by/g)?.length).toBe(STEPS.length);
  });

  it('prints files in full, commands per node, checks, expected output, gates with boxes and Yes/No tables', async () => {
    const doc = await write(format, OTHER, { steps: SAMPLE_STEPS });
    const { masked } = plans(OTHER, OTHER_ENV);
    const hosts = stepViews(masked, SAMPLE_STEPS)[0].tasks[0].files[0].variants[0].value;
    if (format === 'md') {
      expect(doc).toContain(
        `**File \`/etc/hosts\`** on both nodes (mode 0644, copy in /etc/hosts.orig)\n\n\`\`\`\n${hosts.replace(/\n$/, '')}\n\`\`\``,
      );
      expect(doc).toContain('**Commands on kvm-a**\n\n```sh\necho kvm-a.example.org\nping -c 1 kvm-b.sn\n```');
      expect(doc).toContain('**Commands on kvm-b**\n\n```sh\necho kvm-b.example.org\nping -c 1 kvm-a.sn\n```');
      expect(doc).toContain('**Expected output on kvm-b**\n\n```\nkvm-b.example.org\n```');
      expect(doc).toContain('- [ ] kvm-a still answers ping\n- [ ] kvm-b still answers ping');
      expect(doc).toContain('| Test | Victim | Pass? |\n|---|---|---|\n| pull eth0 | kvm-a | Yes / No |');
      expect(doc).toContain('> **Warning:** Sample warning');
      expect(doc).toContain('passwd="********"');
    } else {
      // one table row per line, so the header (the file's name) repeats on every printed page
      const esc = (l: string) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect(doc).toContain(
        `<tbody>${hosts
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `<tr><td>${esc(l) || ' '}</td></tr>`)
          .join('')}</tbody></table>`,
      );
      expect(doc).toContain(
        '<h4>Commands on kvm-a</h4>\n<pre class="sh"><code>echo kvm-a.example.org\nping -c 1 kvm-b.sn</code></pre>',
      );
      expect(doc).toContain('<li><span class="box">☐</span> kvm-b still answers ping</li>');
      expect(doc).toContain('<td>pull eth0</td><td>kvm-a</td><td>Yes / No</td>');
      expect(doc).toContain('passwd=&quot;********&quot;');
      // Self-contained, one step per printed page.
      expect(doc).toMatch(/<style>[\s\S]*@media print[\s\S]*\.step \{ break-before: page; \}[\s\S]*<\/style>/);
      expect(doc).not.toMatch(/<link |<script|src="http/);
    }
    for (const s of OTHER_SECRETS) expect(doc).not.toContain(s);
  });

  it("masks the tutorial's passwords", async () => {
    const doc = await write(format, TUTORIAL, { steps: [...STEPS, ...SAMPLE_STEPS], env: {} });
    expect(doc).not.toContain('passwd="secret"');
    expect(doc).not.toContain('passwd=&quot;secret&quot;');
    expect(doc).toContain('********');
  });

  it('is written "as built" from a state folder: status, finish time, evidence, redacted errors', async () => {
    const doc = await write(format, OTHER, { steps: [...STEPS, ...SAMPLE_STEPS], state: asBuiltState() });
    for (const s of OTHER_SECRETS) expect(doc).not.toContain(s);
    expect(doc).toContain('12 names resolve as planned');
    expect(doc).toContain('names=12');
    expect(doc).toContain('2026-03-02 09:10:02Z');
    expect(doc).toContain('operator confirmed: all cable tests passed');
    expect(doc).toContain('(ricci password ******** was in the log)');
    if (format === 'md') {
      expect(doc).toContain('| kvm-a | ✔ done | 2026-03-02 09:10:02Z | 12 names resolve as planned<br>names=12 |');
      expect(doc).toMatch(/\| kvm-b \| ✖ failed \(2 runs\) \| 2026-03-02 09:10:03Z \| error: kvm-b: getent said/);
      expect(doc).toContain('| kvm-b | ○ not run |  |  |');
      expect(doc).toContain('| kvm-a | ✔ done (changed since) | 2026-03-02 09:40:00Z | operator confirmed');
    } else {
      expect(doc).toContain('<td>kvm-a</td><td>✔ done</td><td>2026-03-02 09:10:02Z</td>');
      expect(doc).toContain('<td>kvm-b</td><td>✖ failed (2 runs)</td>');
      expect(doc).toContain('<td><span class="error">error: kvm-b: getent said');
      expect(doc).toContain('<td>kvm-a</td><td>✔ done (changed since)</td>');
    }
    expect(doc).toMatch(/As built(\*\*|<\/strong>): status recorded in .*state.json.*: \d+ not run, 2 done, 1 failed/);
    expect(doc).toContain('the answers file has changed since this install ran');
    // The plan as the install saw it: captured MACs and the probed start of the free space.
    expect(doc).toContain('52:54:00:CC:0A:03');
    expect(doc).not.toContain('52:54:00:AA:01:03');
    expect(doc).toMatch(
      /vmsa \| \/dev\/drbd11 \| \/dev\/vda6 \| 300GB \| 110GB \| 410GB|<td>vmsa<\/td><td>\/dev\/drbd11<\/td><td>\/dev\/vda6<\/td><td>300GB<\/td><td>110GB<\/td><td>410GB<\/td>/,
    );
  });
});

/** The hand-made state fixture, with hosts.write on kvm-a stamped with its current input hash. */
function asBuiltState(): string {
  const dir = tmp();
  const state = JSON.parse(readFileSync('test/fixtures/as-built/state.json', 'utf8'));
  const { answers, secrets } = plans(OTHER, OTHER_ENV);
  const real = planWithCaptured(answers, state.captured);
  const task = STEPS.flatMap((s) => s.tasks).find((t) => t.id === 'hosts.write')!;
  state.tasks['hosts.write']['kvm-a'].inputHash = inputHash(task, real, real.node('kvm-a'), secrets);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}

describe('runbook safety and errors', () => {
  it('the masked plan alone keeps passwords out (no safety net), and the net catches an unmasked plan', () => {
    const { plan, masked, secrets } = plans(OTHER, OTHER_ENV);
    const steps = [...STEPS, ...SAMPLE_STEPS];
    const m = buildRunbook({ plan: masked, steps, secrets });
    for (const doc of [runbookMarkdown(m, []), runbookHtml(m, [])])
      for (const s of OTHER_SECRETS) expect(doc).not.toContain(s);
    const leaky = buildRunbook({ plan, steps, secrets });
    expect(runbookMarkdown(leaky, [])).toContain('Zq8-ilo-Secret');
    for (const doc of [runbookMarkdown(leaky, secrets), runbookHtml(leaky, secrets)])
      for (const s of OTHER_SECRETS) expect(doc).not.toContain(s);
  });

  it('takes the format from the file name, and refuses an unknown one', async () => {
    const out = join(tmp(), 'book.markdown');
    const r = await runCli(['runbook', '--answers', TUTORIAL, '--out', out]);
    expect(r.error).toBeUndefined();
    expect(readFileSync(out, 'utf8')).toMatch(/^# Runbook: Anvil! an-cluster-A/);
    const bad = await runCli(['runbook', '--answers', TUTORIAL, '--out', join(tmp(), 'x.txt')]);
    expect((bad.error as AnvilError).message).toBe('no runbook format given');
    const bad2 = await runCli(['runbook', '--answers', TUTORIAL, '--out', join(tmp(), 'x.md'), '--format', 'docx']);
    expect((bad2.error as AnvilError).message).toBe('unknown runbook format "docx"');
  });

  it('names the state file it cannot find', async () => {
    const empty = tmp();
    const r = await runCli(['runbook', '--answers', TUTORIAL, '--out', join(empty, 'x.md'), '--state', empty]);
    expect((r.error as AnvilError).message).toBe(`no state.json in ${empty}`);
  });

  it('says which package to install when there is no Chromium', async () => {
    expect(findChromium('', [])).toBeUndefined();
    const out = join(tmp(), 'x.pdf');
    const err = await runbookCommand(
      { answers: TUTORIAL, out, format: 'pdf' },
      { env: {}, pdf: { path: '', fallbacks: [] } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnvilError);
    expect((err as AnvilError).hint).toContain('install the Debian package chromium: apt-get install chromium');
  });

  it.skipIf(!chromium)(
    'prints a PDF with headless Chromium',
    async () => {
      const out = join(tmp(), 'runbook.pdf');
      const cap = captureOutput();
      const prev = setOutput(cap);
      try {
        await runbookCommand(
          { answers: OTHER, out, paper: 'a4' },
          { env: OTHER_ENV, steps: [...STEPS, ...SAMPLE_STEPS] },
        );
      } finally {
        setOutput(prev);
      }
      const pdf = readFileSync(out);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(statSync(out).size).toBeGreaterThan(20_000);
      // One page per step at least (plus the cover and contents).
      const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
      expect(pages).toBeGreaterThanOrEqual(STEPS.length + SAMPLE_STEPS.length);
      // every step starts on its own page, in order, and the hand-over page is the last
      const all = [...STEPS, ...SAMPLE_STEPS];
      const where = destinationPages(pdf);
      expect(where.pages).toBe(pages);
      const starts = all.map((s) => where.dests[`step-${s.id.replace(/[^A-Za-z0-9_-]/g, '-')}`]);
      expect(starts.every((p, i) => p > (starts[i - 1] ?? 2))).toBe(true);
      expect(where.dests.handover).toBe(pages);
      if (!pdftotext) return;
      const page = (n: number) =>
        execFileSync('pdftotext', ['-layout', '-f', String(n), '-l', String(n), out, '-'], { encoding: 'utf8' });
      // the contents list each step with the page it starts on
      const contents = page(3) + page(4);
      for (const [i] of all.entries()) expect(contents).toMatch(new RegExp(`${i + 1}\\. .*\\b${starts[i]}\\n`));
      // every page: the cluster, the section (step n of N), page x of y; A4 paper
      for (let n = 1; n <= pages; n++) {
        const text = page(n);
        expect(text, `page ${n}`).toMatch(/^Anvil! bc-prod-7 — runbook +\S/);
        expect(text, `page ${n}`).toContain(`page ${n} of ${pages}`);
      }
      const i = all.findIndex((s) => s.id === 'clvm');
      expect(page(starts[i])).toContain(`Step ${i + 1} of ${all.length}: ${all[i].title}`);
      expect(execFileSync('pdfinfo', [out], { encoding: 'utf8' })).toMatch(
        /Page size: +594\.\d+ x 841\.\d+ pts \(A4\)/,
      );
      // lvm.conf (an edit of the stock file) is its changes, not 2,000 lines of stock comments
      const clvm = Array.from({ length: starts[i + 1] - starts[i] }, (_, k) => page(starts[i] + k)).join('');
      expect(clvm).toMatch(/only\s+the\s+changes\s+to\s+the\s+stock\s+file\s+are\s+shown/);
      expect(clvm).toMatch(/-\s+locking_type = 1\n\s+\+\s+locking_type = 3/);
      expect(clvm).not.toContain('# This is an example configuration file for the LVM2 system.');
      // a file block that runs onto the next page names its file again at the top of that page
      let continued = 0;
      for (let n = 2; n <= pages; n++) {
        const body = page(n)
          .split('\n')
          .filter((l) => l.trim())
          .slice(1);
        if (
          /^\s+File \/\S+ on /.test(body[0] ?? '') &&
          /^\s{6,}\S/.test(body[2] ?? '') &&
          !/^\s*\d+\.\d+ /.test(
            page(n - 1)
              .split('\n')
              .filter((l) => l.trim())
              .slice(-2)[0] ?? '',
          )
        )
          continued++;
      }
      expect(continued).toBeGreaterThan(0);
      expect(page(pages)).toMatch(
        /Hand-over and acceptance[\s\S]*Installed by[\s\S]*Checked by[\s\S]*Accepted by \(owner\)/,
      );
    },
    240_000,
  );

  it('has help with an example', async () => {
    const { out } = await runCli(['runbook', '--help']);
    expect(out).toContain('--format <format>');
    expect(out).toContain('$ anvil-install runbook --answers anvil.yaml --out runbook.html');
  });
});

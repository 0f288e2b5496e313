/**
 * The printed runbook's tables fit the page and names stay whole: at the printable width of A4 (the
 * narrower paper) no table is wider than the page, and no host, VM or package name breaks at a hyphen
 * (measured by headless Chromium with the print styles applied).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepNamesWhole } from '../../src/report/html-names.js';
import { runbookCommand } from '../../src/commands/runbook.js';
import { findChromium } from '../../src/report/pdf.js';
import { captureOutput, setOutput } from '../../src/output.js';
import { OTHER, OTHER_ENV, TUTORIAL } from './helpers.js';
import { tempDir } from '../helpers/temp.js';

const chromium = findChromium();
if (!chromium)
  console.warn('html-names.test: no Chromium on PATH (apt-get install chromium): the layout check is skipped');

describe('keepNamesWhole', () => {
  it('wraps hyphenated names of the text, breakable only before a dot; leaves tags, pre and file tables alone', () => {
    expect(keepNamesWhole('<p title="an-node01">on an-node01 and an-node02.alteeve.ca, 2026-12-07</p>')).toBe(
      '<p title="an-node01">on <span class="nb">an-node01</span> and <span class="nb">an-node02</span><wbr>.alteeve<wbr>.ca, <span class="nb">2026-12-07</span></p>',
    );
    const verbatim =
      '<pre class="sh"><code>ping an-node02</code></pre><table class="file"><tbody><tr><td>10.20.0.2 an-node02</td></tr></tbody></table>';
    expect(keepNamesWhole(`${verbatim}<td>an-node02</td>`)).toBe(
      `${verbatim}<td><span class="nb">an-node02</span></td>`,
    );
    // a long token (a URL, a path) stays breakable
    const url = 'http://10.255.255.254/c6/x86_64/img/some-very-long-name-of-an-installer-tree';
    expect(keepNamesWhole(`<td>${url}</td>`)).toBe(`<td>${url}</td>`);
  });
});

/**
 * What Chromium lays out at `width` CSS px with the print rules applied: tables wider than the page,
 * names broken (a name within a path, e.g. /shared/files/virtio-win-1.1.16.vfd, may break).
 */
function layoutProblems(html: string, width: number, dir: string): string {
  const probe = `<script>
addEventListener('load', () => {
  const W = document.documentElement.clientWidth, out = [];
  document.querySelectorAll('table').forEach((t) => {
    if (t.getBoundingClientRect().right > W + 0.5) out.push('table wider than the page: ' + t.innerText.slice(0, 60).replace(/\\s+/g, ' '));
  });
  const re = /(?<![\\w/.-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![\\w/-])/g, walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode()); ) {
    if (n.parentElement.closest('pre, table.file, script')) continue;
    for (const m of n.data.matchAll(re)) {
      const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
      if (new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1) out.push('broken: ' + m[0]);
    }
  }
  const p = document.createElement('pre'); p.id = 'layout'; p.textContent = out.join('\\n') || 'OK'; document.body.append(p);
});
</script>`;
  const file = join(dir, 'probe.html');
  writeFileSync(file, html.replace('@media print {', '@media all {').replace('</body>', `${probe}</body>`));
  const r = spawnSync(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${width},1200`,
      '--virtual-time-budget=5000',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const m = /<pre id="layout">([\s\S]*?)<\/pre>/.exec(r.stdout);
  return m
    ? m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    : `no result: ${r.stderr.slice(-400)}`;
}

describe.skipIf(!chromium)('the printed runbook at A4 width', () => {
  // NOTE: A4's printable width (210 mm less the 14 mm margins) is 182 mm = 688 CSS px
  for (const answers of [TUTORIAL, OTHER])
    it(`fits its tables and keeps names whole (${answers})`, async () => {
      const dir = tempDir('anvil-layout-');
      const out = join(dir, 'runbook.html');
      const prev = setOutput(captureOutput());
      try {
        await runbookCommand({ answers, out, format: 'html', paper: 'a4' }, { env: OTHER_ENV });
      } finally {
        setOutput(prev);
      }
      expect(layoutProblems(readFileSync(out, 'utf8'), 688, dir)).toBe('OK');
    });
});

import { describe, expect, it } from 'vitest';
import { mdCell, mdFence, mdCode, mdTable, redactHtml, escHtml } from '../../src/report/runbook.js';
import { textTable, wrap, commandText } from '../../src/report/text.js';

describe('runbook formatting helpers', () => {
  it('fences code longer than any backtick run inside it', () => {
    expect(mdFence('a\n')).toBe('```\na\n```');
    expect(mdFence('echo ```x```', 'sh')).toBe('````sh\necho ```x```\n````');
    expect(mdCode('a`b')).toBe('`` a`b ``');
  });

  it('escapes Markdown table cells', () => {
    expect(mdCell('a|b\nc')).toBe('a\\|b<br>c');
    expect(mdTable(['A', 'B'], [['1'], ['x|y', 2]])).toBe('| A | B |\n|---|---|\n| 1 |  |\n| x\\|y | 2 |');
  });

  it('redacts the text of HTML, raw or escaped, and leaves tags and the stylesheet alone', () => {
    const secret = `p<w&'d`;
    const html = `<style>.p { color: red }</style><p class="p">pw ${escHtml(secret)} and p</p>`;
    const out = redactHtml(html, [secret, 'p']);
    expect(out).toBe('<style>.p { color: red }</style><p class="p">********w ******** and ********</p>');
  });

  it('formats plain-text tables, prose and commands', () => {
    expect(textTable(['Test', 'Pass?'], [['echo c', 'Yes / No']])).toBe(
      'Test    Pass?\n------  --------\necho c  Yes / No',
    );
    expect(wrap('aa bb cc dd', 5, '  ')).toBe('aa bb\n  cc\n  dd');
    expect(commandText('cat <<EOF\nx\nEOF')).toBe('$ cat <<EOF\n  x\n  EOF');
  });
});

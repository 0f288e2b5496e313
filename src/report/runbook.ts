/**
 * The printable runbook of one cluster: a cover with the cluster summary, a table of contents,
 * then every step with its files, commands, checks, gates (checklists and Yes/No tables) and
 * sign-off lines. Rendered from `runbook/*.ejs` as Markdown or as one self-contained HTML file
 * with a print stylesheet (the PDF is printed from the HTML).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ejs from 'ejs';
import type { Step } from '../engine/types.js';
import { x } from '../engine/render.js';
import type { Plan } from '../plan/derive.js';
import { redact } from '../plan/derive.js';
import { RUNBOOK, ROOT } from '../paths.js';
import { builtRows, statusCounts, fmtTime, type AsBuilt, type BuiltRow, type HashOf } from './as-built.js';
import { clusterSummary, type ClusterSummary } from './summary.js';
import { keepNamesWhole } from './html-names.js';
import { groupLabel, stepViews, type StepView } from './tasks.js';

/** Formats the runbook is written in. */
export type RunbookFormat = 'md' | 'html' | 'pdf';

/** Paper sizes the printed runbook is laid out for. */
export type Paper = 'a4' | 'letter';

/** Everything the runbook templates get. */
export interface RunbookModel {
  title: string;
  generatedAt: string;
  version: string;
  answersFile: string;
  summary: ClusterSummary;
  steps: StepView[];
  /** Paper size of the print layout. */
  paper: Paper;
  /** Page number each section starts on (anchor → page), once a first print has been measured. */
  pages?: Record<string, number>;
  /** Present for an "as built" runbook: rows per task id. */
  built?: {
    file: string;
    createdAt: string;
    updatedAt: string;
    lab: boolean;
    counts: { status: string; count: number }[];
    rows: Map<string, BuiltRow[]>;
    /** The answers differ from those the state was built with. */
    answersChanged: boolean;
  };
}

/** Options of `buildRunbook`. */
export interface RunbookInput {
  /** A MASKED plan. */
  plan: Plan;
  steps: readonly Step[];
  secrets: string[];
  answersFile?: string;
  asBuilt?: AsBuilt;
  /** As built: the current input hash of a task on a node, compared with the recorded one. */
  hashOf?: HashOf;
  /** As built: the answers differ from those the state records (by hash). */
  answersChanged?: boolean;
  /** Fixed time for reproducible output (tests); default now. */
  now?: Date;
  /** Paper size; default letter. */
  paper?: Paper;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

/** Build the runbook model from a masked plan. */
export function buildRunbook(input: RunbookInput): RunbookModel {
  const p = input.plan;
  const steps = stepViews(p, input.steps);
  const now = input.now ?? new Date();
  return {
    title: `Runbook: Anvil! ${p.cluster.name}`,
    generatedAt: fmtTime(now.toISOString()),
    version: packageVersion(),
    answersFile: input.answersFile ? basename(input.answersFile) : '',
    summary: clusterSummary(p),
    steps,
    paper: input.paper ?? 'letter',
    built: input.asBuilt
      ? (() => {
          const rows = builtRows(steps, input.asBuilt, input.secrets, input.hashOf);
          return {
            file: input.asBuilt.file,
            createdAt: fmtTime(input.asBuilt.createdAt),
            updatedAt: fmtTime(input.asBuilt.updatedAt),
            lab: input.asBuilt.lab,
            counts: statusCounts(rows),
            rows,
            answersChanged: !!input.answersChanged,
          };
        })()
      : undefined,
  };
}

/** Escape text for HTML (text and attribute values). */
export function escHtml(s: unknown): string {
  return x(s).replace(/'/g, '&#39;');
}

/** Text for HTML with `code` spans (as step docs, checklists and checks write them) turned into <code>. */
export function inlineHtml(s: unknown): string {
  return escHtml(s).replace(/`([^`\n]+)`/g, '<code>$1</code>');
}

/** A Markdown table cell: pipes escaped, line breaks as `<br>`. */
export function mdCell(s: unknown): string {
  return String((s as string | undefined) ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

/** A Markdown table. */
export function mdTable(columns: string[], rows: unknown[][]): string {
  return [
    `| ${columns.map(mdCell).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((_, i) => mdCell(r[i] ?? '')).join(' | ')} |`),
  ].join('\n');
}

/** A fenced Markdown code block whose fence is longer than any backtick run in the content. */
export function mdFence(content: string, lang = ''): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${content.replace(/\n$/, '')}\n${f}`;
}

/** Inline code in Markdown. */
export function mdCode(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return longest ? `${f} ${s} ${f}` : `${f}${s}${f}`;
}

/** Anchor id of a step. */
export function stepAnchor(s: StepView): string {
  return `step-${s.id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** Anchor id of a task. */
export function taskAnchor(id: string): string {
  return `task-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** Status glyph for an as-built row. */
export function statusMark(status: string): string {
  return (
    ({ done: '✔', failed: '✖', running: '…', skipped: '–', pending: '○' } as Record<string, string>)[status] ?? '○'
  );
}

const KIND_TEXT: Record<string, string> = {
  safe: 'safe (re-run freely)',
  once: 'once (destructive: runs exactly once)',
  gate: 'gate (you act, then confirm)',
};

/** Helpers every runbook template gets as `h`. */
/** A CSS string literal (for `content:` of the page margins). */
export function cssString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, ' ')}"`;
}

/** The print rules of one document: paper, page numbers, and a running header naming the section. */
export function printCss(m: RunbookModel): string {
  const total = m.steps.length;
  const named = (page: string, right: string) => `@page ${page} { @top-right { content: ${cssString(right)}; } }`;
  return [
    `@page { size: ${m.paper === 'a4' ? 'A4' : 'letter'}; margin: 18mm 14mm 16mm;`,
    `  @top-left { content: ${cssString(`Anvil! ${m.summary.cluster.name} — runbook`)}; font-size: 8.5pt; color: #5a6470; }`,
    `  @top-right { font-size: 8.5pt; color: #5a6470; }`,
    `  @bottom-left { content: ${cssString(`anvil-install ${m.version}, ${m.generatedAt}`)}; font-size: 8pt; color: #5a6470; }`,
    `  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8.5pt; }`,
    '}',
    named('cover', 'Cluster summary'),
    named('contents', 'Contents'),
    named('handover', 'Hand-over'),
    '.cover { page: cover; } .toc { page: contents; } .handover { page: handover; }',
    ...m.steps.map(
      (st) =>
        `${named(`step-${st.number}`, `Step ${st.number} of ${total}: ${st.title}`)}\n#${stepAnchor(st)} { page: step-${st.number}; }`,
    ),
  ].join('\n');
}

/** Lines of a file block (an empty line keeps its height). */
export function blockLines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

export const helpers = {
  inline: inlineHtml,
  blockLines,
  mdCell,
  mdTable,
  mdFence,
  mdCode,
  esc: escHtml,
  stepAnchor,
  taskAnchor,
  statusMark,
  groupLabel,
  kindText: (k: string) => KIND_TEXT[k] ?? k,
};

function renderTemplate(name: string, locals: Record<string, unknown>, escape: (s: unknown) => string): string {
  const file = join(RUNBOOK, name);
  return ejs.render(readFileSync(file, 'utf8'), locals, { filename: file, escape });
}

/** Redact secrets in the text of an HTML document, leaving tags and the stylesheet untouched. */
export function redactHtml(html: string, secrets: string[]): string {
  const all = [...new Set([...secrets, ...secrets.map(escHtml)])];
  return html
    .split(/(<style[\s\S]*?<\/style>|<[^>]*>)/)
    .map((part, i) => (i % 2 === 1 ? part : redact(part, all)))
    .join('');
}

/** The runbook as Markdown (secrets redacted as a last safety net). */
export function runbookMarkdown(m: RunbookModel, secrets: string[]): string {
  return redact(
    renderTemplate('runbook.md.ejs', { m, h: helpers }, (s) => String(s)),
    secrets,
  );
}

/** The runbook as one self-contained HTML file with its print stylesheet inlined. */
export function runbookHtml(m: RunbookModel, secrets: string[]): string {
  const css = readFileSync(join(RUNBOOK, 'runbook.css'), 'utf8');
  return redactHtml(
    keepNamesWhole(renderTemplate('runbook.html.ejs', { m, h: helpers, css, printCss: printCss(m) }, escHtml)),
    secrets,
  );
}

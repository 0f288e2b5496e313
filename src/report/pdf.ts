/**
 * Print an HTML file to PDF with headless Chromium (the same engine an operator would print
 * from). Chromium is found on PATH; nothing is downloaded.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AnvilError } from '../errors.js';

/** Program names tried on PATH, in order. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
/** Absolute paths tried after PATH. */
export const CHROMIUM_FALLBACKS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Where Chromium is, or undefined. `pathEnv` is searched first, then `fallbacks`. */
export function findChromium(
  pathEnv: string | undefined = process.env.PATH,
  fallbacks: readonly string[] = CHROMIUM_FALLBACKS,
): string | undefined {
  const dirs = (pathEnv ?? '').split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_NAMES)
    for (const d of dirs) {
      const f = join(d, name);
      if (executable(f)) return f;
    }
  return fallbacks.find(executable);
}

/** The error shown when no Chromium is installed. */
export function noChromium(): AnvilError {
  return new AnvilError(
    'printing a PDF needs Chromium, and none was found (looked for chromium, chromium-browser, google-chrome on PATH)',
    'install the Debian package chromium: apt-get install chromium (or write --format html and print it from a browser)',
  );
}

/** Options of `htmlToPdf`. */
export interface PdfOptions {
  /** Chromium binary; default: found with `findChromium(path, fallbacks)`. */
  chromium?: string;
  /** PATH to search (default `process.env.PATH`). */
  path?: string;
  /** Absolute paths tried after PATH (default `CHROMIUM_FALLBACKS`). */
  fallbacks?: readonly string[];
  /** Give up after this many ms (default 180 s: a loaded machine is slow to start a browser). */
  timeoutMs?: number;
}

/** Print `htmlFile` to `pdfFile` with headless Chromium. */
export async function htmlToPdf(htmlFile: string, pdfFile: string, opts: PdfOptions = {}): Promise<void> {
  const bin = opts.chromium ?? findChromium(opts.path ?? process.env.PATH, opts.fallbacks ?? CHROMIUM_FALLBACKS);
  if (!bin) throw noChromium();
  const profile = mkdtempSync(join(tmpdir(), 'anvil-chromium-'));
  const out = resolve(pdfFile);
  rmSync(out, { force: true });
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // NOTE: containers often have a tiny /dev/shm; without this Chromium can crash while printing.
    '--disable-dev-shm-usage',
    `--user-data-dir=${profile}`,
    `--print-to-pdf=${out}`,
    '--no-pdf-header-footer',
    pathToFileURL(resolve(htmlFile)).href,
  ];
  const timeoutMs = opts.timeoutMs ?? 180_000;
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((res, rej) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        // NOTE: keep only the tail; Chromium can be chatty.
        err = (err + d.toString()).slice(-8000);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        rej(
          new AnvilError(
            `cannot start ${bin}: ${e.message}`,
            'install the Debian package chromium: apt-get install chromium',
          ),
        );
      });
      child.on('close', (c, sig) => {
        clearTimeout(timer);
        res({ code: sig ? null : c, stderr: err });
      });
    });
    const ok = existsSync(out) && readFileSync(out).subarray(0, 5).toString('latin1') === '%PDF-';
    if (code !== 0 || !ok) {
      const tail = stderr.trim().split('\n').slice(-4).join(' / ');
      throw new AnvilError(
        `${bin} did not print ${out} (exit ${code ?? `killed after ${Math.round(timeoutMs / 1000)} s`})${tail ? `: ${tail}` : ''}`,
        'write --format html and print it from a browser, or check that Chromium runs: chromium --headless --version',
      );
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

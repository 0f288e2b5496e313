/** Drive the real commander program in-process and capture what it prints. */
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { captureOutput, setOutput } from '../../src/output.js';

/** Run `anvil-install ...args`; resolves with stdout, stderr and the thrown error, if any. */
export async function runCli(args: string[]): Promise<{ out: string; err: string; error?: unknown }> {
  const cap = captureOutput();
  const prev = setOutput(cap);
  const program = await buildProgram();
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  let error: unknown;
  try {
    await program.parseAsync(['node', 'anvil-install', ...args]);
  } catch (e) {
    error = e;
  } finally {
    setOutput(prev);
  }
  // NOTE: commander's help "exit" is a CommanderError with code 0: not a failure.
  if (error instanceof CommanderError && error.exitCode === 0) error = undefined;
  return { out: cap.text(), err: cap.errText(), error };
}

/** `anvil-install schema`: the answers format as JSON Schema, for editors. */
import type { Command } from 'commander';
import { z } from 'zod';
import { answersSchema } from '../plan/schema.js';
import { say } from '../output.js';

/** The answers JSON Schema (draft 2020-12). */
export function answersJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(answersSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...s, $id: 'https://anvil-install/answers.schema.json', title: 'anvil-install answers file' };
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('schema')
    .description('print the answers-file format as JSON Schema (for editor completion and checks)')
    .action(() => say(JSON.stringify(answersJsonSchema(), null, 2)));
}

// @ts-check
// One lint configuration for the repository: typescript-eslint's recommended type-checked rules, with the
// few exceptions below, each with its reason.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.anvil/', '.anvil-demo/', 'bin/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // NOTE: tsconfig.test.json is tsconfig.json plus test/ and the root config files, so tests are
      // type-checked with the same rules as the code they test.
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Task.run/verify/done, lab command handlers and transports implement async interfaces; many
      // implementations answer synchronously and stay `async` so that a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // Our interfaces declare callbacks in method shorthand (`verify(ctx)`, `exec(cmd)`) and none of
      // them use `this`; the rule cannot tell such a callback from a class method and flags every one.
      '@typescript-eslint/unbound-method': 'off',
      // `_name` marks a parameter a signature needs but a body does not (command handlers, visitors).
      // The lab's node unwinds a command line when its node halts (crash, reboot, poweroff) by throwing
      // HaltSignal, which the shell catches; it is control flow, not an error.
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'HaltSignal', path: 'src/lab/shell/types.ts' }], allowRethrowing: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/lab/shell/**/*.ts', 'src/lab/commands/awk.ts'],
    rules: {
      // The lab's shell and awk unwind `exit`, `return`, `break`, `continue` and `next` by throwing
      // small signal objects, as an interpreter's control flow, not as errors; they never leave the
      // interpreter.
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['src/plan/checks.ts'],
    rules: {
      // The cross-field checks read the answers as parsed from YAML, before zod has typed them (so that
      // every problem is reported at once, by path); each read is guarded by the check that makes it.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read state.json, journals and JSON output whose shape the assertion itself checks;
      // typing every such read would restate the types under test.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Hostile-answers tests mutate raw, not-yet-validated answers: their type is what is under test.
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests assert that output has, or has not, ANSI escape sequences.
      'no-control-regex': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);

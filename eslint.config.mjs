// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', '.cache/', 'node_modules/', 'test-results/', '*.vsix', '.scratch/', 'src/trainer/kernels/native/build/', '.gpubench/', '.gl/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The trainer runs without VS Code: keep it that way.
    files: ['src/trainer/**', 'src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/trainer and src/shared run without VS Code.' }] }] },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'test/vscode/**'],
    languageOptions: { globals: globals.node },
  },
  {
    // UI tests and the panel bench run some functions inside the page (page.evaluate, waitForFunction).
    files: ['test/ui/**', 'bench/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);

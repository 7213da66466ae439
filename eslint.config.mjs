// @ts-check
import tseslint from 'typescript-eslint';
import playwright from 'eslint-plugin-playwright';

export default tseslint.config(
  { ignores: ['node_modules/', 'playwright-report/', 'test-results/', 'blob-report/', 'reports/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Prettier wraps code at 140 columns but never splits a string: this catches the lines it leaves long.
      'max-len': ['error', { code: 140, ignoreUrls: true }],
    },
  },
  {
    // The suites, the harness's own tests and the benchmark specs: rules that catch tests which cannot fail.
    files: ['tests/**/*.ts', 'selftest/**/*.ts', 'bench/**/*.spec.ts'],
    ...playwright.configs['flat/recommended'],
    rules: {
      ...playwright.configs['flat/recommended'].rules,
      // assertFunctionNames are exact names; the patterns make any expectX()/assertX() helper count as an assertion.
      'playwright/expect-expect': [
        'error',
        { assertFunctionNames: ['expect*', 'assert*'], assertFunctionPatterns: ['^expect[A-Z]', '^assert[A-Z]'] },
      ],
      'playwright/no-focused-test': 'error',
      'playwright/no-skipped-test': ['error', { allowConditional: true }],
      'playwright/no-conditional-expect': 'error',
      'playwright/no-conditional-in-test': 'error',
      'playwright/no-wait-for-timeout': 'error',
      'playwright/valid-expect': 'error',
      'playwright/no-standalone-expect': 'error',
      'playwright/no-useless-not': 'error',
      'playwright/prefer-web-first-assertions': 'off',
    },
  },
);

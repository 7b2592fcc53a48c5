import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.porta/', 'coverage/', 'playground/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly',
        fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Only src/main.ts, src/cli and test support read process.env; pass config down.' },
      ],
    },
  },
  {
    files: ['src/main.ts', 'src/cli/**', 'test/**', 'bench/**', 'bin/**', 'vitest.config.ts', '*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Standalone example apps: WebCrypto modules shared by browser and Node, node:http servers that read their own environment.
    files: ['playground/**', 'playground-bff/**'],
    languageOptions: { globals: { URLSearchParams: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', atob: 'readonly', btoa: 'readonly', crypto: 'readonly' } },
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The pages' own browser scripts, served by Porta (src/pages/static-assets.ts).
    files: ['static/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', URLSearchParams: 'readonly' } },
  },
  {
    // The admin console (console/): React in the browser, built by Vite.
    files: ['console/src/**/*.{ts,tsx}'],
    languageOptions: {
      globals: {
        window: 'readonly', document: 'readonly', navigator: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', crypto: 'readonly',
        btoa: 'readonly', TextEncoder: 'readonly', URLSearchParams: 'readonly', Blob: 'readonly', Response: 'readonly', HTMLElement: 'readonly',
        HTMLAnchorElement: 'readonly', Intl: 'readonly',
      },
    },
  },
  {
    files: ['playground/public/**/*.js'],
    languageOptions: { globals: { document: 'readonly', location: 'readonly', history: 'readonly', sessionStorage: 'readonly' } },
  },
);

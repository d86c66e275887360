import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: real API and worker processes driven through Debian's chromium with
 * playwright-core. Kept out of `npm test` (its include never matches `*.browser-spec.ts`), since it
 * needs a browser on the machine and the built `dist/`.
 */
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    globals: true,
    include: ['test/browser/**/*.browser-spec.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});

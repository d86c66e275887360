import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/** The chaos run alone (`npm run test:chaos`): its file name keeps it out of `npm test`'s include. */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    globals: true,
    include: ['test/chaos/**/*.chaos-spec.ts'],
    pool: 'forks',
    maxWorkers: 1,
    // The run's own deadlines bound it: traffic, a 30 s retry allowance and a 90 s quiesce.
    testTimeout: 0,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});

// `npm run test:chaos [-- --seconds 300] [-- --seed <n>]`: the chaos run of test/chaos against dist/
// (the npm script compiles first). Faults and traffic follow the seed; the run prints it to replay.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const USAGE = 'usage: npm run test:chaos [-- --seconds <10..3600>] [-- --seed <0..4294967295>] [-- --users <1..100>]\n';

function integerOption(value, name, min, max) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    process.stderr.write(`--${name} must be a whole number in ${min}..${max} (got "${value}")\n${USAGE}`);
    process.exit(2);
  }
  return number;
}

let values;
try {
  ({ values } = parseArgs({ options: { seconds: { type: 'string' }, seed: { type: 'string' }, users: { type: 'string' } } }));
} catch (error) {
  process.stderr.write(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const seconds = integerOption(values.seconds, 'seconds', 10, 3600) ?? 60;
const seed = integerOption(values.seed, 'seed', 0, 4294967295) ?? randomInt(0, 2 ** 32 - 1);
const users = integerOption(values.users, 'users', 1, 100) ?? 12;

const vitest = spawnSync(process.execPath, [`${ROOT}node_modules/vitest/vitest.mjs`, 'run', '--config', 'test/chaos/vitest.config.mts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, CHAOS_SECONDS: String(seconds), CHAOS_SEED: String(seed), CHAOS_USERS: String(users) },
});
process.exit(vitest.status ?? 1);

// Preloaded (`node --import`) by bench/profile/promises.mjs: counts the promises the process creates
// between SIGUSR2 (start) and SIGUSR1 (report to stderr, with where the most were created).
import { createHook } from 'node:async_hooks';

let counting = false;
let total = 0;
const sites = new Map();

function siteOf() {
  const holder = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 8;
  Error.captureStackTrace(holder, siteOf);
  Error.stackTraceLimit = limit;
  return holder.stack
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .trim()
        .replace(/^at /, '')
        .replace(/\(?(file:\/\/)?\/[^ ]*?node_modules\//, '(')
        .replace(/\(?\/[^ ]*?\/dist\//, '(dist/'),
    )
    .filter((frame) => !frame.includes('node:internal') && !frame.startsWith('init '))
    .slice(0, 2)
    .join(' <- ');
}

createHook({
  init(_id, type) {
    if (!counting || type !== 'PROMISE') return;
    total += 1;
    const site = siteOf();
    sites.set(site, (sites.get(site) ?? 0) + 1);
  },
}).enable();

process.on('SIGUSR2', () => {
  counting = true;
  total = 0;
  sites.clear();
});
process.on('SIGUSR1', () => {
  counting = false;
  const top = [...sites].sort((a, b) => b[1] - a[1]).map(([site, count]) => `${count}\t${site}`);
  process.stderr.write(`PROMISES ${total}\n${top.join('\n')}\nEND\n`);
});

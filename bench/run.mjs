// `npm run bench [-- scenario ...]`: runs the load scenarios and rewrites their sections of BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { machine, ROOT } from './lib.mjs';

const SCENARIOS = ['auth', 'mail', 'commerce', 'cluster', 'money', 'hot-reads'];
const selected = process.argv.slice(2).length ? process.argv.slice(2) : SCENARIOS;
const file = `${ROOT}BENCHMARKS.md`;

function render(result) {
  const lines = [
    `<!-- bench:${result.id} -->`,
    `## ${result.title}`,
    '',
    `Measured ${new Date().toISOString()} on ${machine()}.`,
    `Reproduce: \`${result.command}\`.`,
    '',
  ];
  for (const section of result.sections) {
    lines.push(`### ${section.heading}`, '', `| ${section.columns.join(' | ')} |`, `| ${section.columns.map(() => '---').join(' | ')} |`);
    for (const row of section.rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  }
  lines.push(`<!-- /bench:${result.id} -->`);
  return lines.join('\n');
}

let document = existsSync(file)
  ? readFileSync(file, 'utf8')
  : '# Benchmarks\n\nEach section is rewritten by `npm run bench`; ratios against a baseline measured in the same run matter more than absolute numbers on a shared machine.\n';
for (const id of selected) {
  if (!SCENARIOS.includes(id)) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.join(', ')}`);
  const { run } = await import(`./${id}.mjs`);
  const result = { id, ...(await run()) };
  const section = render(result);
  console.log(section);
  const pattern = new RegExp(`<!-- bench:${id} -->[\\s\\S]*?<!-- /bench:${id} -->`);
  document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, document);
}

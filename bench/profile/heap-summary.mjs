// Summarises a V8 heap snapshot (issue 11: "a heap snapshot at idle says what holds it"): self size
// by kind of object, and the script files whose compiled code and closures hold the most.
// `node bench/profile/heap-summary.mjs file.heapsnapshot`; take one with
// `node --heapsnapshot-signal=SIGUSR2 dist/main.js` and `kill -USR2 <pid>` once it is idle.
import { readFileSync } from 'node:fs';

const snapshot = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const {
  node_fields: fields,
  node_types: [types],
} = snapshot.snapshot.meta;
const width = fields.length;
const at = (name) => fields.indexOf(name);
const [TYPE, NAME, SIZE] = [at('type'), at('name'), at('self_size')];
const { nodes, strings } = snapshot;

const byKind = new Map();
const add = (map, key, size) => map.set(key, (map.get(key) ?? 0) + size);
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + TYPE]];
  const size = nodes[i + SIZE];
  total += size;
  const name = strings[nodes[i + NAME]];
  const kind = type === 'object' ? `object ${name.length > 40 ? `${name.slice(0, 40)}…` : name}` : type === 'code' ? 'compiled code' : type;
  add(byKind, kind, size);
}
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
console.log(`heap: ${mb(total)} in ${nodes.length / width} objects\n`);
console.log('| what | self size | share |\n| --- | --- | --- |');
for (const [kind, size] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`| ${kind} | ${mb(size)} | ${((100 * size) / total).toFixed(1)} % |`);
}

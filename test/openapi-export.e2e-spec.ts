import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { useTestApp } from './support/app';
import { ROOT } from './support/process';

const run = promisify(execFile);

/** Runs `node dist/openapi.js <file>` as `npm run openapi` does, in an empty directory, with only the given environment. */
async function exportDocument(env: Record<string, string>) {
  const directory = mkdtempSync(join(tmpdir(), 'orderly-openapi-'));
  try {
    const target = join(directory, 'openapi.json');
    const { stdout } = await run(process.execPath, [resolve(ROOT, 'dist/openapi.js'), target], {
      cwd: directory,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 60_000,
    });
    return { stdout, files: readdirSync(directory), document: JSON.parse(readFileSync(target, 'utf8')) as Record<string, any> };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Every local `$ref` in the document, and whether it points at something that exists. */
function danglingReferences(document: Record<string, any>): string[] {
  const references: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') references.push(value);
        else visit(value);
      }
    }
  };
  visit(document);
  return references.filter((reference) => {
    if (!reference.startsWith('#/')) return true;
    let target: any = document;
    for (const part of reference.slice(2).split('/')) target = target?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return target === undefined;
  });
}

describe('npm run openapi', () => {
  const context = useTestApp();

  it('writes, with no database or Redis configured, exactly the document the running app serves', async () => {
    const served = await context.api.request({ url: '/docs-json' });
    expect(served.status).toBe(200);

    const { stdout, files, document } = await exportDocument({});

    expect(files).toEqual(['openapi.json']); // nothing else: no embedded database was started
    expect(stdout).toMatch(/^Wrote .*openapi\.json \(OpenAPI 3\.\d+\.\d+, \d+ operations\)\n$/);
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/orders', '/api/v1/payments/webhook', '/health/ready']));
    expect(danglingReferences(document)).toEqual([]);
    expect(document).toEqual(served.body);
  });

  it('ignores the environment: an unreachable database and Redis, or production without secrets, change nothing', async () => {
    const served = await context.api.request({ url: '/docs-json' });
    const unreachable = await exportDocument({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
      REDIS_URL: 'redis://127.0.0.1:1',
      NODE_ENV: 'production',
    });
    expect(unreachable.document).toEqual(served.body);
  });
});

// openapi-typescript 7 needs TypeScript 5 while the project compiles with TypeScript 6: this folder is a
// small package (see its package.json, installed by the root `npm install` as a `file:` dependency)
// whose own node_modules give openapi-typescript its typescript@5.9.3. Nothing else imports it.
import openapiTS, { astToString } from 'openapi-typescript';

/** The `.d.ts` text openapi-typescript generates for `document` (an OpenAPI 3 object). */
export async function generateTypes(document) {
  return astToString(await openapiTS(document));
}

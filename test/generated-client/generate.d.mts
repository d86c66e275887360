/** The `.d.ts` text openapi-typescript generates for `document` (an OpenAPI 3 object). */
export function generateTypes(document: object): Promise<string>;

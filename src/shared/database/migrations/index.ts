import { Accounts1764040000000 } from './1764040000000-accounts';

/** Listed explicitly (not globbed) so the same list works from `dist/` and from the test runner. */
export const migrations = [Accounts1764040000000];

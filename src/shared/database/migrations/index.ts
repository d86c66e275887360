import { Accounts1764040000000 } from './1764040000000-accounts';
import { OutboxAndPasswordResets1764040100000 } from './1764040100000-outbox-and-password-resets';
import { Commerce1764040200000 } from './1764040200000-commerce';
import { PaymentsLedger1764040300000 } from './1764040300000-payments-ledger';
import { ProductVersionsAndReplayableResponses1764040400000 } from './1764040400000-product-versions-and-replayable-responses';
import { OutboxUnfinishedIndex1764040500000 } from './1764040500000-outbox-unfinished-index';
import { OutboxTraceContext1764040700000 } from './1764040700000-outbox-trace-context';

/** Listed explicitly (not globbed) so the same list works from `dist/` and from the test runner. */
export const migrations = [
  Accounts1764040000000,
  OutboxAndPasswordResets1764040100000,
  Commerce1764040200000,
  PaymentsLedger1764040300000,
  ProductVersionsAndReplayableResponses1764040400000,
  OutboxUnfinishedIndex1764040500000,
  OutboxTraceContext1764040700000,
];

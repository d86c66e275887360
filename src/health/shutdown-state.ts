import { Injectable } from '@nestjs/common';

/** Flipped when SIGTERM arrives, so readiness fails while in-flight requests finish. */
@Injectable()
export class ShutdownState {
  draining = false;
}

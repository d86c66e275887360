import { Injectable } from '@nestjs/common';

/** Flipped when SIGTERM arrives: readiness fails and every response closes its connection while in-flight requests finish. */
@Injectable()
export class ShutdownState {
  draining = false;
}

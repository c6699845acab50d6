import { Injectable } from '@nestjs/common';

/**
 * The time sign-in and sessions go by (epoch milliseconds). One injectable instance, so tests
 * can move it instead of sleeping through idle and absolute expiry.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}

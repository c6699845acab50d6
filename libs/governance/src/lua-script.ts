import { createHash } from 'node:crypto';
import { GovernanceUnavailableError } from './governance.errors';

/**
 * The Redis port: the two commands the governor needs. An ioredis `Redis` (or `Cluster`)
 * satisfies it. Give the connection a `commandTimeout` so a hung server fails fast, and
 * `enableOfflineQueue: false` if commands must not wait for a reconnect.
 */
export interface GovernanceRedis {
  evalsha(sha1: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>;
}

/**
 * A Lua script run by SHA (one round trip), loaded with EVAL only when the server answers
 * NOSCRIPT (first use, restart, SCRIPT FLUSH). The SHA is computed once, locally.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: GovernanceRedis,
    keys: string[],
    args: Array<string | number>,
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw this.unavailable(error);
    }
    try {
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private unavailable(cause: unknown): GovernanceUnavailableError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new GovernanceUnavailableError(`governance script ${this.name} failed: ${detail}`, {
      cause,
    });
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

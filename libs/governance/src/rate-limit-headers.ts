/**
 * OpenAI's rate-limit headers: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, plus
 * `retry-after` (whole seconds) on a refusal. A dimension without a configured limit has no
 * headers. Requests report the refused request limit, else whichever of the tenant and user
 * limits has the least room; tokens report the tenant's tokens-per-minute limit. `reset` is
 * the time until the oldest counted request (or, when refused, enough of them) leaves the
 * sliding window.
 */
export type RateLimitHeaders = Record<string, string>;

/** The figures the admission script returns; -1 = that limit is not configured. */
export interface RateLimitFigures {
  requestLimit: number;
  requestsLeft: number;
  requestsResetMs: number;
  tokenLimit: number;
  tokensLeft: number;
  tokensResetMs: number;
}

/** Durations as OpenAI writes them: `20ms`, `1s`, `7.66s`, `6m0s`, `1h2m3s`. */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Number(((total % 60_000) / 1000).toFixed(3));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

export function rateLimitHeaders(
  figures: RateLimitFigures,
  retryAfterMs?: number,
): RateLimitHeaders {
  const headers: RateLimitHeaders = {};
  if (figures.requestLimit >= 0) {
    headers['x-ratelimit-limit-requests'] = String(figures.requestLimit);
    headers['x-ratelimit-remaining-requests'] = String(figures.requestsLeft);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(figures.requestsResetMs);
  }
  if (figures.tokenLimit >= 0) {
    headers['x-ratelimit-limit-tokens'] = String(figures.tokenLimit);
    headers['x-ratelimit-remaining-tokens'] = String(figures.tokensLeft);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(figures.tokensResetMs);
  }
  if (retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  return headers;
}

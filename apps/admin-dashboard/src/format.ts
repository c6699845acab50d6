// Display helpers: money (micro-USD decimal strings), durations, instants, rates.

const MICROS_PER_USD = 1_000_000n;

/**
 * Exact dollars: cents from $1 up ("$12.34"), and below a dollar every significant micro-dollar
 * digit ("$0.018", "$0.000123"), so small model costs do not read as $0.00.
 */
export function formatMicros(micros: string | number | bigint | null | undefined): string {
  if (micros === null || micros === undefined || micros === '') return '—';
  let value: bigint;
  try {
    value = BigInt(micros);
  } catch {
    return '—';
  }
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / MICROS_PER_USD;
  const fraction = (abs % MICROS_PER_USD).toString().padStart(6, '0');
  const digits = whole === 0n ? fraction.replace(/0+$/, '') : fraction.slice(0, 2);
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}${digits ? `.${digits.padEnd(2, '0')}` : '.00'}`;
}

/** Micro-USD as a number of dollars (for charts; exact enough for plotting). */
export const microsToUsd = (micros: string | number | bigint): number => Number(micros) / 1e6;

/** Dollars on a chart axis: two significant digits below a dollar ("$0.018"), cents above. */
export function formatUsdAxis(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 1) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

/**
 * "12.5" (dollars, as typed in a form) → "12500000" (micro-USD). Null for anything that is not
 * a non-negative decimal with at most 6 decimals.
 */
export function usdToMicros(usd: string): string | null {
  const match = /^\s*(\d{1,12})(?:\.(\d{0,6}))?\s*$/.exec(usd);
  if (!match) return null;
  const micros = BigInt(match[1]) * MICROS_PER_USD + BigInt((match[2] ?? '').padEnd(6, '0'));
  return micros.toString();
}

/** "12.5" for 12500000 micro-USD: the inverse of usdToMicros, for form defaults. */
export function microsToUsdText(micros: string): string {
  const value = BigInt(micros);
  const whole = value / MICROS_PER_USD;
  const fraction = (value % MICROS_PER_USD).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** Every UTC day (`YYYY-MM-DD`) that [from, to) touches, in order (charts show empty days). */
export function everyDay(from: string, to: string, max = 366): string[] {
  const days: string[] = [];
  const end = Date.parse(to);
  const cursor = new Date(`${from.slice(0, 10)}T00:00:00.000Z`);
  while (cursor.getTime() < end && days.length < max) {
    days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export const formatPercent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} %`;

export const formatCount = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US');

/** "a1b2c3d4…" for ids in tables (the full id is in the title and links). */
export const shortId = (id: string): string => (id.length > 10 ? `${id.slice(0, 8)}…` : id);

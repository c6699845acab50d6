import type { UsageRow } from '@gnomon/contracts';
import type { UsageGroup } from './usage.repository';

/** A cell: text, a number, or null (an empty field). */
export type CsvCell = string | number | null;

/** Cells a spreadsheet would run as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field. Text that contains a comma, a double quote, CR or LF is quoted, with its
 * double quotes doubled. Text that a spreadsheet would evaluate as a formula gets a leading
 * `'` (numbers never do: they are written as numbers).
 */
export function csvField(cell: CsvCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole document: a header row, then one record per row, each ended by CRLF. */
export function toCsv(header: string[], rows: CsvCell[][]): string {
  return [header, ...rows].map((record) => `${record.map(csvField).join(',')}\r\n`).join('');
}

/** Micro-USD (decimal text) as USD with six decimals, exactly: "1234567" → "1.234567". */
export function microsToUsd(micros: string): string {
  const padded = micros.padStart(7, '0');
  return `${padded.slice(0, -6)}.${padded.slice(-6)}`;
}

const KEY_COLUMN: Record<UsageGroup, string> = {
  day: 'day',
  model: 'model',
  provider: 'provider',
  apiKey: 'api_key_id',
};

export const USAGE_CSV_COLUMNS = [
  'calls',
  'failed_calls',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'cost_micros',
  'cost_usd',
] as const;

/** The usage report as CSV: the group's key, then the figures (cost exact, in micros and USD). */
export function usageCsv(groupBy: UsageGroup, rows: UsageRow[]): string {
  return toCsv(
    [KEY_COLUMN[groupBy], ...USAGE_CSV_COLUMNS],
    rows.map((row) => [
      row.key,
      row.calls,
      row.failedCalls,
      row.inputTokens,
      row.outputTokens,
      row.cachedTokens,
      row.costMicros,
      microsToUsd(row.costMicros),
    ]),
  );
}

/** `attachment; filename="usage-by-day-2026-03-01-to-2026-03-04.csv"` (UTC days of the range). */
export function usageCsvDisposition(groupBy: UsageGroup, from: Date, to: Date): string {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  return `attachment; filename="usage-by-${groupBy}-${day(from)}-to-${day(to)}.csv"`;
}

import { csvField, microsToUsd, toCsv, usageCsv, usageCsvDisposition } from './usage-csv';

describe('CSV (RFC 4180)', () => {
  it('leaves plain text and numbers as they are, and null empty', () => {
    expect(csvField('openai/gpt-4o-mini')).toBe('openai/gpt-4o-mini');
    expect(csvField(42)).toBe('42');
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('quotes text with a comma, a double quote, CR or LF, and doubles the quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('car\rriage')).toBe('"car\rriage"');
    expect(csvField('"')).toBe('""""');
  });

  it('defuses text a spreadsheet would run as a formula, but never numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-1)).toBe('-1');
  });

  it('ends every record with CRLF, the header first', () => {
    expect(
      toCsv(
        ['key', 'n'],
        [
          ['a', 1],
          [null, 2],
        ],
      ),
    ).toBe('key,n\r\na,1\r\n,2\r\n');
    expect(toCsv(['key'], [])).toBe('key\r\n');
  });

  it('writes micro-USD as exact USD', () => {
    expect(microsToUsd('0')).toBe('0.000000');
    expect(microsToUsd('7')).toBe('0.000007');
    expect(microsToUsd('1234567')).toBe('1.234567');
    expect(microsToUsd('9007199254740993')).toBe('9007199254.740993');
  });

  it('renders a usage report with the group as the first column', () => {
    const csv = usageCsv('apiKey', [
      {
        key: 'k-1',
        calls: 2,
        failedCalls: 1,
        inputTokens: 30,
        outputTokens: 4,
        cachedTokens: 5,
        costMicros: '1500000',
      },
      {
        key: null,
        calls: 1,
        failedCalls: 0,
        inputTokens: 0,
        outputTokens: 0,
        cachedTokens: 0,
        costMicros: '0',
      },
    ]);
    expect(csv).toBe(
      'api_key_id,calls,failed_calls,input_tokens,output_tokens,cached_tokens,cost_micros,cost_usd\r\n' +
        'k-1,2,1,30,4,5,1500000,1.500000\r\n' +
        ',1,0,0,0,0,0,0.000000\r\n',
    );
  });

  it('names the download after the grouping and the UTC days of the range', () => {
    expect(
      usageCsvDisposition(
        'model',
        new Date('2026-03-01T00:00:00Z'),
        new Date('2026-03-04T00:00:00Z'),
      ),
    ).toBe('attachment; filename="usage-by-model-2026-03-01-to-2026-03-04.csv"');
  });
});

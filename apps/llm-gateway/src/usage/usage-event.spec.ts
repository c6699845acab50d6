import { fromStreamFields, newUsageEvent, toStreamFields } from './usage-event';

describe('usage event stream fields', () => {
  const event = newUsageEvent({
    tenantId: '00000000-0000-4000-8000-000000000001',
    requestId: 'req-1',
    model: 'openai/gpt-4o-mini',
    stream: true,
    provider: 'openai',
    costMicros: 1234,
    ttftMs: 12,
  });

  it('is one JSON field that reads back unchanged', () => {
    const fields = toStreamFields(event);
    expect(Object.keys(fields)).toEqual(['event']);
    expect(fromStreamFields(fields)).toEqual(event);
  });

  it('still reads the flat fields an older gateway wrote', () => {
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(event))
      flat[key] = value === null ? '' : String(value);
    expect(fromStreamFields({ settlement: 'settled', reservationId: 'x', ...flat })).toEqual(event);
  });
});

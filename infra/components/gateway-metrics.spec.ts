import { createLogger, type Logger } from '@gnomon/observability';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  BREAKER_STATE_METRIC,
  BUDGET_ALERT_LOG_PATTERN,
  cloudWatchAgentConfig,
  prometheusScrapeConfig,
} from './gateway-metrics';

const gatewaySource = (file: string) =>
  readFileSync(path.resolve(__dirname, '../../apps/llm-gateway/src', file), 'utf8');

/** Evaluates a CloudWatch Logs JSON filter of the form `{ $.a.b = "value" }` against a line. */
function matchesJsonFilter(pattern: string, line: string): boolean {
  const match = /^\{ \$\.([\w.]+) = "([^"]*)" \}$/.exec(pattern);
  if (!match) throw new Error(`unsupported pattern ${pattern}`);
  let value: unknown = JSON.parse(line);
  for (const key of match[1].split('.'))
    value = (value as Record<string, unknown> | undefined)?.[key];
  return value === match[2];
}

/** One JSON line written through the platform's logger, as the gateway writes it. */
function loggedLine(write: (logger: Logger) => void): string {
  const lines: string[] = [];
  const logger = createLogger({ service: 'llm-gateway' });
  // pino.symbols is pino's public handle on its destination: send the line to memory instead.
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  write(logger);
  return lines.join('').trim();
}

describe('provider breaker alarm source', () => {
  it('scrapes the gauge the gateway exports and turns it into the alarmed metric', () => {
    expect(gatewaySource('health/health.controller.ts')).toContain(`'${BREAKER_STATE_METRIC}'`);
    const config = cloudWatchAgentConfig('gnomon-dev', '/gnomon/dev/gateway-metrics');
    const [declaration] = (
      config.logs as {
        metrics_collected: {
          prometheus: {
            emf_processor: {
              metric_declaration: { metric_selectors: string[]; dimensions: string[][] }[];
            };
          };
        };
      }
    ).metrics_collected.prometheus.emf_processor.metric_declaration;
    expect(declaration.metric_selectors.some((s) => new RegExp(s).test(BREAKER_STATE_METRIC))).toBe(
      true,
    );
    expect(declaration.dimensions).toContainEqual(['stack', 'state']);
    expect(prometheusScrapeConfig('dev')).toContain("targets: ['127.0.0.1:8081']");
    expect(prometheusScrapeConfig('dev')).toContain('stack: dev');
  });
});

describe('tenant budget alarm source', () => {
  it('matches the line the gateway logs when a tenant crosses a soft threshold', () => {
    expect(gatewaySource('completions/budget-alerts.ts')).toMatch(
      /this\.logger\.warn\(\s*\{ tenantId: tenant\.tenantId, budgetAlert: alert \},\s*'budget soft threshold reached',?\s*\)/,
    );
    const line = loggedLine((logger) =>
      logger.warn(
        { tenantId: 't1', budgetAlert: { thresholdPct: 80 } },
        'budget soft threshold reached',
      ),
    );
    expect(matchesJsonFilter(BUDGET_ALERT_LOG_PATTERN, line)).toBe(true);
    const other = loggedLine((logger) => logger.warn({ tenantId: 't1' }, 'budget exceeded'));
    expect(matchesJsonFilter(BUDGET_ALERT_LOG_PATTERN, other)).toBe(false);
  });
});

import * as pulumi from '@pulumi/pulumi';
import type { ContainerSpec } from './container';
import { PORTS } from './security-groups';

/**
 * How the gateway's provider breakers reach CloudWatch. The gateway exports the Prometheus gauge
 * `gnomon_provider_breaker_state{provider,state}` (1 for each provider's current state) on
 * /metrics; a CloudWatch agent sidecar scrapes it over the task's loopback and writes it as
 * embedded-metric-format records, which CloudWatch turns into the metric the alarm watches.
 */
export const GATEWAY_METRICS_NAMESPACE = 'Gnomon/LlmGateway';
export const BREAKER_STATE_METRIC = 'gnomon_provider_breaker_state';

export interface GatewayMetricsAgentArgs {
  image: string;
  stack: string;
  clusterName: pulumi.Input<string>;
  /** Where the agent writes the EMF records. */
  metricsLogGroupName: pulumi.Input<string>;
  /** Where the agent's own log lines go. */
  logGroupName: pulumi.Input<string>;
}

/** The Prometheus scrape configuration: this task's gateway only, with the stack as a label. */
export function prometheusScrapeConfig(stack: string): string {
  return [
    'global:',
    '  scrape_interval: 30s',
    '  scrape_timeout: 10s',
    'scrape_configs:',
    '  - job_name: llm-gateway',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${PORTS.llmGateway}']`,
    '        labels:',
    `          stack: ${stack}`,
    '',
  ].join('\n');
}

/** The agent configuration: which series become CloudWatch metrics, with which dimensions. */
export function cloudWatchAgentConfig(
  clusterName: string,
  metricsLogGroupName: string,
): Record<string, unknown> {
  return {
    agent: { debug: false },
    logs: {
      force_flush_interval: 5,
      metrics_collected: {
        prometheus: {
          cluster_name: clusterName,
          log_group_name: metricsLogGroupName,
          prometheus_config_path: 'env:PROMETHEUS_CONFIG_CONTENT',
          emf_processor: {
            metric_namespace: GATEWAY_METRICS_NAMESPACE,
            metric_declaration: [
              {
                source_labels: ['job'],
                label_matcher: '^llm-gateway$',
                // [stack, state]: the alarm (max over providers); [stack, provider, state]: dashboards.
                dimensions: [
                  ['stack', 'state'],
                  ['stack', 'provider', 'state'],
                ],
                metric_selectors: [`^${BREAKER_STATE_METRIC}$`],
              },
            ],
          },
        },
      },
    },
  };
}

/** The sidecar: not essential (the gateway keeps serving if it stops), no port, no secrets. */
export function gatewayMetricsAgent(args: GatewayMetricsAgentArgs): ContainerSpec {
  return {
    name: 'metrics-agent',
    image: args.image,
    essential: false,
    environment: {
      PROMETHEUS_CONFIG_CONTENT: prometheusScrapeConfig(args.stack),
      CW_CONFIG_CONTENT: pulumi
        .all([args.clusterName, args.metricsLogGroupName])
        .apply(([cluster, group]) => JSON.stringify(cloudWatchAgentConfig(cluster, group))),
    },
    secrets: {},
    logGroupName: args.logGroupName,
    logStreamPrefix: 'metrics-agent',
    readonlyRootFilesystem: false,
  };
}

/**
 * Tenant budget alerts: the gateway logs one JSON line per soft-threshold crossing and period
 * (apps/llm-gateway/src/completions/budget-alerts.ts): level `warn`, `msg` "budget soft threshold
 * reached", with `tenantId` and `budgetAlert` {scope, scopeId, period, thresholdPct, limitMicros,
 * spentMicros}. A metric filter on the gateway's log group counts them.
 */
export const BUDGET_ALERT_LOG_PATTERN = '{ $.msg = "budget soft threshold reached" }';
export const BUDGET_ALERT_METRIC = 'TenantBudgetSoftThresholdReached';

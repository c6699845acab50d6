import { Injectable } from '@nestjs/common';
import { MetricsRegistry } from '@gnomon/observability';
import { Counter, Histogram } from 'prom-client';

/** Prometheus series of tool executions (by kind and status; never by tenant: unbounded). */
@Injectable()
export class ExecutionMetrics {
  private readonly executions: Counter<'kind' | 'status'>;
  private readonly duration: Histogram<'kind'>;
  readonly refused: Counter;

  constructor(metrics: MetricsRegistry) {
    this.executions = new Counter({
      name: 'gnomon_tool_executions_total',
      help: 'Tool executions by kind and final status',
      labelNames: ['kind', 'status'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'gnomon_tool_execution_duration_seconds',
      help: 'End-to-end duration of tool executions',
      labelNames: ['kind'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [metrics.registry],
    });
    this.refused = new Counter({
      name: 'gnomon_tool_executions_refused_total',
      help: 'Executions refused because the runtime was at capacity',
      registers: [metrics.registry],
    });
  }

  observe(kind: string, status: string, durationMs: number): void {
    this.executions.inc({ kind, status });
    this.duration.observe({ kind }, durationMs / 1000);
  }
}

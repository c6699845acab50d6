import { platformChecks } from './platform-checks';
import { FIXED_COUNTS, str, type StackExpectations } from './expected-deployment';
import { loadStack, type LoadedStack, type StackName } from './stack-harness';
import { workloadChecks } from './workload-checks';

/**
 * The assertions every stack must pass, run by infra/stacks/<stack>.spec.ts against the
 * program under mocks with that stack's real configuration file.
 */
export function describeStack(stack: StackName, expected: StackExpectations): void {
  describe(`stack ${stack}`, () => {
    let loaded: LoadedStack;
    beforeAll(async () => {
      loaded = await loadStack(stack);
    });

    it('creates exactly the expected resources, by type and count', () => {
      expect(loaded.cloud.countsByType()).toEqual({ ...FIXED_COUNTS, ...expected.counts });
    });
    it('exports the URLs, ARNs and log groups operators need', () => {
      const domain = loaded.settings.domain as { apiHost: string; gatewayHost: string };
      expect(loaded.outputs).toMatchObject({
        apiUrl: `https://${domain.apiHost}`,
        gatewayUrl: `https://${domain.gatewayHost}/v1`,
        dashboardUrl: `https://${domain.apiHost}/admin/`,
      });
      expect(str(loaded.outputs.stepQueueArn)).toMatch(`:gnomon-${stack}-steps`);
      expect(str(loaded.outputs.deadLetterQueueArn)).toMatch(`:gnomon-${stack}-steps-dlq`);
      expect(str(loaded.outputs.stateMachineArn)).toMatch(`:stateMachine:gnomon-${stack}-runs`);
      expect(Object.keys(loaded.outputs.logGroups as object).sort()).toEqual([
        'control-plane',
        'gatewayMetrics',
        'llm-gateway',
        'migration',
        'orchestrator-worker',
        'stateMachine',
        'tool-runtime',
      ]);
    });

    platformChecks({ stack, expected, loaded: () => loaded });
    workloadChecks({ stack, expected, loaded: () => loaded });
  });
}

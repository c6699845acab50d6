import type { Provider } from '@nestjs/common';
import { awsServiceSettings, createSfnClient } from '@gnomon/aws';
import { StepFunctionsWorkflowEngine, type WorkflowEngine } from '@gnomon/workflow';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG } from '../platform/tokens';

/** The workflow engine runs are driven by; null when no state machine is configured. */
export const WORKFLOW_ENGINE = Symbol('WorkflowEngine');

export const workflowEngineProvider: Provider = {
  provide: WORKFLOW_ENGINE,
  inject: [CONFIG],
  useFactory: (config: ControlPlaneConfig): WorkflowEngine | null => {
    const arn = config.env.GNOMON_STATE_MACHINE_ARN;
    if (!arn) return null;
    return new StepFunctionsWorkflowEngine(
      createSfnClient(awsServiceSettings(config.env, 'SFN')),
      arn,
    );
  },
};

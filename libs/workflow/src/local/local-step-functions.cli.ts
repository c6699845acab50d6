// The local Step Functions endpoint as a process: runs the run state machine
// (renderRunStateMachine) with the local engine and serves the Step Functions API for it, so
// the control plane and the worker use StepFunctionsWorkflowEngine with AWS_ENDPOINT_URL_SFN.
// Step messages go to --queue-url through the SQS endpoint of the environment
// (AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL, AWS_REGION). Prints one JSON line
// {"endpoint": …, "stateMachineArn": …} once it is ready; SIGTERM/SIGINT stop it cleanly.
// Executions live in this process: they end with it (see LocalWorkflowEngine).
import { AwsEnv, awsServiceSettings, createSqsClient } from '@gnomon/aws';
import { parseArgs } from 'node:util';
import { renderRunStateMachine } from '../asl';
import {
  DEFAULT_LOCAL_STATE_MACHINE_ARN,
  LocalWorkflowEngine,
  startLocalStepFunctionsServer,
} from '../engine';

const USAGE =
  'usage: local-step-functions --queue-url <step queue url> [--port 0] [--host 127.0.0.1] ' +
  `[--state-machine-arn ${DEFAULT_LOCAL_STATE_MACHINE_ARN}]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'queue-url': { type: 'string' },
      'state-machine-arn': { type: 'string', default: DEFAULT_LOCAL_STATE_MACHINE_ARN },
    },
  });
  const queueUrl = values['queue-url'];
  const port = Number(values.port);
  if (!queueUrl || !Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(USAGE);
    process.exit(2);
  }
  const stateMachineArn = values['state-machine-arn'];
  const sqs = createSqsClient(awsServiceSettings(AwsEnv.parse(process.env), 'SQS'));
  const engine = new LocalWorkflowEngine({
    definitionJson: renderRunStateMachine({ stepQueueUrl: queueUrl }),
    stateMachineArn,
    sqs,
  });
  const server = await startLocalStepFunctionsServer({ engine, host: values.host, port });
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint, stateMachineArn })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    engine.close();
    void server.close().finally(() => {
      sqs.destroy();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`local-step-functions: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});

// Runs one JS/TS tool inside Deno: `deno run <flags> js-harness.mjs <execDir> <tool file>`.
// The runner reads `result.json` afterwards; see sandbox-runner.ts for the protocol.
import { claimHarness } from './lockdown.mjs';

const {
  describeError,
  failOnUncaught,
  finishWithError,
  finishWithOutput,
  installEgressFetch,
  lockDown,
  readRequest,
  serialiseOutput,
  signalReady,
} = claimHarness();

const [execDir, toolFile] = Deno.args;
const request = readRequest(execDir);
lockDown();
installEgressFetch(request.egressSocket);
failOnUncaught(execDir);
const context = Object.freeze({ ...request.context });

signalReady();
try {
  const toolModule = await import(new URL(`file://${execDir}/${toolFile}`).href);
  if (typeof toolModule.default !== 'function') {
    finishWithError(execDir, {
      errorName: 'TypeError',
      message:
        'the tool module must have a default export that is a function (input, context) => output',
    });
  }
  const output = await toolModule.default(request.input, context);
  const serialised = serialiseOutput(output);
  if (serialised.error !== undefined) {
    finishWithError(execDir, { errorName: 'TypeError', message: serialised.error });
  } else {
    finishWithOutput(execDir, serialised.text, request.outputBytes);
  }
} catch (error) {
  finishWithError(execDir, describeError(error));
}

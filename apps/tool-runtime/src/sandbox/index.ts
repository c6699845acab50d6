export {
  SandboxRunner,
  type EgressHandle,
  type OpenEgress,
  type SandboxCapabilities,
  type SandboxLayer,
  type SandboxOutcome,
  type SandboxRequest,
  type SandboxRunnerOptions,
  type ScratchFile,
} from './sandbox-runner';
export type { SandboxKind } from './sandbox-command';

import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import { StepOutputParams } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { z } from 'zod';
import { API_V1 } from '../platform/routes';
import { StepOutputService } from './step-output.service';

/** A step's full output, fetched on demand (the step list shows only outputRef for large ones). */
@Controller(`${API_V1}/runs`)
export class StepOutputController {
  constructor(private readonly outputs: StepOutputService) {}

  @Get(':id/steps/:stepId/output')
  @Header('Cache-Control', 'private, no-store')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: 'Runs',
    summary:
      "A step's full output JSON (read from the artifact bucket when it was offloaded); " +
      'null while the step has none',
    params: StepOutputParams,
    response: z.json().describe("The step's output, exactly as the step produced it"),
  })
  async output(
    @Caller() caller: TenantCaller,
    @Param() params: StepOutputParams,
  ): Promise<StreamableFile> {
    const output = await this.outputs.output(caller.tenant, params.id, params.stepId);
    const options = { type: 'application/json; charset=utf-8', length: output.length };
    return Buffer.isBuffer(output.body)
      ? new StreamableFile(output.body, options)
      : new StreamableFile(output.body, options);
  }
}

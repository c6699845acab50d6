import { Module } from '@nestjs/common';
import { awsServiceSettings, createS3Client } from '@gnomon/aws';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG } from '../platform/tokens';
import { StepOutputController } from './step-output.controller';
import { StepOutputRepository } from './step-output.repository';
import { StepOutputService } from './step-output.service';
import { StepOutputStore } from './step-output.store';

@Module({
  controllers: [StepOutputController],
  providers: [
    {
      provide: StepOutputStore,
      inject: [CONFIG],
      useFactory: (config: ControlPlaneConfig) =>
        new StepOutputStore(
          createS3Client(awsServiceSettings(config.env, 'S3')),
          config.env.GNOMON_ARTIFACT_BUCKET,
        ),
    },
    StepOutputRepository,
    StepOutputService,
  ],
})
export class StepOutputModule {}

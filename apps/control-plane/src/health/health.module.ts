import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';
import { HealthController } from './health.controller';
import { OpenApiDocument } from './openapi-document';

@Module({
  controllers: [HealthController, DocsController],
  providers: [OpenApiDocument],
  exports: [OpenApiDocument],
})
export class HealthModule {}

import { Module } from '@nestjs/common';
import { ApiKeyModule } from '../api-keys/api-key.module';
import { AuditModule } from '../audit/audit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { MemberController } from './member.controller';
import { MemberRepository } from './member.repository';
import { MemberService } from './member.service';

@Module({
  imports: [AuditModule, ApiKeyModule, SessionsModule],
  controllers: [MemberController],
  providers: [MemberRepository, MemberService],
})
export class MemberModule {}

import { SetMetadata } from '@nestjs/common';
import type { ApiKeyScope } from '@gnomon/contracts';
import type { z } from 'zod';

/**
 * Who may call a route: anyone, any authenticated principal, platform admins only, or holders
 * of one scope. Every route must declare one; the guard refuses routes that do not.
 */
export type Access = 'public' | 'authenticated' | 'platform-admin' | ApiKeyScope;

export interface EndpointSpec {
  access: Access;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  response?: z.ZodType;
  /** Success status when not 200. */
  status?: number;
  /**
   * Media type of the success response when not JSON, e.g. `text/event-stream` for a stream
   * whose messages carry `response` (documentation only: the handler writes the stream).
   */
  contentType?: string;
  /** Whether this route accepts X-Gnomon-Tenant from platform admins (tenant-facing routes). */
  tenantScoped?: boolean;
}

export const ENDPOINT_METADATA = 'gnomon:endpoint';

/** Declares a route's access rule and its schemas (validation and OpenAPI use the same ones). */
export const Endpoint = (spec: EndpointSpec) => SetMetadata(ENDPOINT_METADATA, spec);

import { Injectable } from '@nestjs/common';
import { buildOpenApiDocument, type CatalogRoute } from '@gnomon/http-api';

/** The control plane's OpenAPI document, built once from the route catalog at start-up. */
@Injectable()
export class OpenApiDocument {
  private document: ReturnType<typeof buildOpenApiDocument> | null = null;

  build(routes: CatalogRoute[]): void {
    this.document = buildOpenApiDocument(
      {
        title: 'Gnomon control plane',
        version: '1',
        description:
          'Tenants, members, API keys and the audit log. Authenticate with `Authorization: Bearer <API key>`. ' +
          'Errors are application/problem+json with a stable `code` and the `requestId`.',
      },
      routes,
    );
  }

  get() {
    if (!this.document) throw new Error('OpenAPI document not built yet');
    return this.document;
  }
}

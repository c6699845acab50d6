import { RequestMethod, type INestApplicationContext } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ENDPOINT_METADATA, type EndpointSpec } from './endpoint.decorator';

export interface CatalogRoute {
  method: string;
  /** Full path in OpenAPI form, e.g. `/api/v1/api-keys/{id}`. */
  path: string;
  handler: string;
  spec: EndpointSpec | undefined;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
    .join('/');
  return `/${joined}`;
}

/** Every HTTP route the application's controllers declare, with its Endpoint spec if any. */
export function routeCatalog(app: INestApplicationContext, globalPrefix = ''): CatalogRoute[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: CatalogRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    const controllerPaths = [
      reflector.get<string | string[]>(PATH_METADATA, wrapper.metatype as never) ?? '',
    ].flat();
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name] as object;
      const methodPath = reflector.get<string | string[] | undefined>(
        PATH_METADATA,
        handler as never,
      );
      const method = reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler as never);
      if (methodPath === undefined || method === undefined) continue;
      for (const base of controllerPaths) {
        for (const sub of [methodPath].flat()) {
          routes.push({
            method: RequestMethod[method],
            path: joinPath(globalPrefix, base, sub),
            handler: `${String(wrapper.name)}.${name}`,
            spec: reflector.get<EndpointSpec | undefined>(ENDPOINT_METADATA, handler as never),
          });
        }
      }
    }
  }
  return routes;
}

// Public surface of the http-api library: how every Gnomon HTTP service declares, validates,
// documents and answers its routes.
export * from './api-error';
export * from './endpoint.decorator';
export * from './request-context';
export * from './cursor-codec';
export * from './request-validation.interceptor';
export * from './problem.filter';
export * from './route-catalog';
export * from './openapi';
export * from './request-id';

// The task definition language (gnomon.task/v1): its schema, the parsers of its templates and
// condition expressions, graph helpers and the registry reference check. Browser-safe: zod only.
export {
  formatPath,
  parsePath,
  PathSyntaxError,
  STEP_ID_PATTERN,
  type PathSegment,
  type ValuePath,
} from './value-path';
export { parseTemplate, templatePaths, TemplateSyntaxError, type TemplatePart } from './template';
export * from './expression';
export * from './task-definition.schema';
export * from './graph';
export { stepTemplates, taskDefinitionIssues, type TaskIssue } from './validation';
export * from './references';
export * from './json-schema';

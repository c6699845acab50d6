import * as pulumi from '@pulumi/pulumi';

/** IAM policy documents as typed values, rendered to JSON once their inputs are known. */

export type ConditionBlock = Record<string, Record<string, pulumi.Input<string | string[]>>>;

export type Principal =
  { AWS: pulumi.Input<string> | pulumi.Input<string>[] } | { Service: string | string[] };

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  /**
   * `*` only where the action has no resource-level permissions (e.g. ecr:GetAuthorizationToken);
   * absent in trust policies, where IAM forbids it.
   */
  Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  Principal?: Principal;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Plain JSON form of a statement, as IAM (and the tests) read it. */
export interface RenderedStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const WILDCARD_ACTION = /^(\*|[a-z0-9-]+:\*)$/i;

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The wildcard grants in a document: `*` or `service:*` in an Allow, or any Allow written with
 * NotAction. Deny statements may use them (a TLS-only guard must deny every action).
 */
export function wildcardGrants(statements: readonly RenderedStatement[]): string[] {
  const found: string[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotAction !== undefined)
      found.push(`NotAction in ${statement.Sid ?? 'a statement'}`);
    for (const action of asList(statement.Action)) {
      if (WILDCARD_ACTION.test(action)) found.push(action);
    }
  }
  return found;
}

/** The document as JSON; refuses wildcard grants so none can be deployed by mistake. */
export function policyJson(statements: PolicyStatement[]): pulumi.Output<string> {
  const offending = wildcardGrants(
    statements.map(({ Sid, Effect, Action }) => ({ Sid, Effect, Action })),
  );
  if (offending.length > 0) {
    throw new Error(`wildcard action in an Allow statement: ${offending.join(', ')}`);
  }
  const document: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  return pulumi.jsonStringify(pulumi.output(document));
}

/** Trust policy for a role assumed by an AWS service in this account only. */
export function serviceTrustPolicy(
  service: string,
  accountId: pulumi.Input<string>,
): pulumi.Output<string> {
  return policyJson([
    {
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Principal: { Service: service },
      Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
    },
  ]);
}

/** Deny every request that does not arrive over TLS (bucket and queue policies). */
export function denyInsecureTransport(
  actions: string[],
  resources: pulumi.Input<string>[],
): PolicyStatement {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: actions,
    Resource: resources,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

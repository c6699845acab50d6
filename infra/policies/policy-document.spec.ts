import { denyInsecureTransport, policyJson, wildcardGrants } from './policy-document';

describe('wildcardGrants', () => {
  it('finds `*`, `service:*` and NotAction in Allow statements', () => {
    expect(
      wildcardGrants([
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:*'], Resource: '*' },
        { Sid: 'Sneaky', Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:x' },
      ]),
    ).toEqual(['*', 's3:*', 'NotAction in Sneaky']);
  });

  it('accepts exact actions, and wildcards in Deny statements', () => {
    expect(
      wildcardGrants([
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
        { Effect: 'Deny', Action: ['s3:*'], Resource: '*' },
      ]),
    ).toEqual([]);
  });
});

describe('policyJson', () => {
  it('refuses to render a document that grants a wildcard', () => {
    expect(() =>
      policyJson([
        { Sid: 'TooMuch', Effect: 'Allow', Action: ['sqs:*'], Resource: ['arn:aws:sqs:q'] },
      ]),
    ).toThrow('wildcard action in an Allow statement: sqs:*');
  });

  it('renders a TLS-only deny', () => {
    expect(() => policyJson([denyInsecureTransport(['s3:*'], ['arn:aws:s3:::b'])])).not.toThrow();
  });
});

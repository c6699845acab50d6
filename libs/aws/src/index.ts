// Public surface of the aws library: thin adapters for S3 (and, with the run lifecycle, SQS and
// Step Functions) with the settings that make them work against both AWS and local endpoints.
export * from './aws-endpoints';
export * from './s3-client';
export * from './local-aws-endpoint';
export * from './sqs-client';
export * from './sfn-client';
export * from './sqs';

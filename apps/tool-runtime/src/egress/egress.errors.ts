/** The request broke a rule: it was refused before (or instead of) reaching the target. */
export type EgressDenialCode =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'host_not_allowed'
  | 'address_forbidden'
  | 'method_not_allowed'
  | 'invalid_request'
  | 'too_many_redirects';

/** The request was allowed but could not be completed. */
export type EgressFailureCode =
  'timeout' | 'aborted' | 'response_too_large' | 'dns_failed' | 'connect_failed' | 'bad_response';

export interface EgressErrorDetails {
  /** The URL of the hop that was refused or failed, without credentials. */
  url: string;
  host?: string;
  /** For `address_forbidden`: the address that failed the policy, and why. */
  address?: string;
  reason?: string;
  cause?: unknown;
}

export class EgressDenied extends Error {
  readonly url: string;
  readonly host?: string;
  readonly address?: string;
  readonly reason?: string;

  constructor(
    readonly code: EgressDenialCode,
    message: string,
    details: EgressErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EgressDenied';
    this.url = details.url;
    this.host = details.host;
    this.address = details.address;
    this.reason = details.reason;
  }
}

export class EgressFailed extends Error {
  readonly url: string;
  readonly host?: string;

  constructor(
    readonly code: EgressFailureCode,
    message: string,
    details: EgressErrorDetails,
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EgressFailed';
    this.url = details.url;
    this.host = details.host;
  }
}

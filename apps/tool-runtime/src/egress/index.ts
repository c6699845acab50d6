export {
  AddressPolicy,
  classifyAddress,
  formatIp,
  parseHostLiteral,
  type AddressCategory,
  type AddressPolicyOptions,
  type AddressVerdict,
  type IpLiteral,
} from './address-policy';
export {
  EgressClient,
  type EgressClientOptions,
  type EgressRequest,
  type EgressResponse,
  type HostResolver,
  type ResolvedAddress,
} from './egress-client';
export {
  EGRESS_DENIED_HEADER,
  EGRESS_ERROR_HEADER,
  EGRESS_REDIRECT_HEADER,
  EGRESS_SENTINEL_HOST,
  EGRESS_URL_HEADER,
  openEgressGateway,
  type EgressDenial,
  type EgressGatewayHandle,
  type EgressGatewayOptions,
} from './egress-gateway';
export {
  EgressDenied,
  EgressFailed,
  type EgressDenialCode,
  type EgressFailureCode,
  type EgressErrorDetails,
} from './egress.errors';
export { HostAllowlist } from './host-allowlist';

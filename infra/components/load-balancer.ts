import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PORTS } from './security-groups';

export interface PublicLoadBalancerArgs {
  namePrefix: string;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  certificateArn: string;
  hostedZoneId: string;
  apiHost: string;
  gatewayHost: string;
  deletionProtection: boolean;
}

export type PublicApi = 'controlPlane' | 'llmGateway';

/** TLS 1.3 and 1.2 with forward-secret ciphers only. */
const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * The internet-facing HTTPS load balancer: `apiHost` → control-plane (API and `/admin`),
 * `gatewayHost` → llm-gateway; plain HTTP is redirected, `/metrics` is never served publicly,
 * anything else is a 404. Route 53 aliases point both names at it.
 */
export class PublicLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroups: Record<PublicApi, aws.lb.TargetGroup>;
  readonly httpsListener: aws.lb.Listener;
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  readonly dashboardUrl: string;

  constructor(name: string, args: PublicLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gnomon:infra:PublicLoadBalancer', name, {}, opts);
    const parent = { parent: this };

    this.loadBalancer = new aws.lb.LoadBalancer(
      name,
      {
        name: args.namePrefix,
        loadBalancerType: 'application',
        internal: false,
        subnets: args.subnetIds,
        securityGroups: [args.securityGroupId],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        // Streams (SSE run events, streamed completions) may be quiet while a model thinks.
        idleTimeout: 300,
      },
      parent,
    );

    const targetGroup = (api: PublicApi, short: string, port: number) =>
      new aws.lb.TargetGroup(
        `${name}-${short}`,
        {
          name: `${args.namePrefix}-${short}`,
          port,
          protocol: 'HTTP',
          targetType: 'ip',
          vpcId: args.vpcId,
          deregistrationDelay: 30,
          healthCheck: {
            path: '/readyz',
            matcher: '200',
            interval: 15,
            timeout: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
          },
          tags: { 'gnomon:service': api },
        },
        parent,
      );
    this.targetGroups = {
      controlPlane: targetGroup('controlPlane', 'api', PORTS.controlPlane),
      llmGateway: targetGroup('llmGateway', 'llm', PORTS.llmGateway),
    };

    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: [
          {
            type: 'redirect',
            redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' },
          },
        ],
      },
      parent,
    );
    this.httpsListener = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: SSL_POLICY,
        certificateArn: args.certificateArn,
        defaultActions: [notFound()],
      },
      parent,
    );
    const rule = (
      id: string,
      priority: number,
      conditions: aws.types.input.lb.ListenerRuleCondition[],
      action: aws.types.input.lb.ListenerRuleAction,
    ) =>
      new aws.lb.ListenerRule(
        `${name}-${id}`,
        { listenerArn: this.httpsListener.arn, priority, conditions, actions: [action] },
        parent,
      );
    // Metrics are scraped inside the task; the internet never sees them.
    rule('hide-metrics', 10, [{ pathPattern: { values: ['/metrics', '/metrics/*'] } }], notFound());
    rule('api', 20, [{ hostHeader: { values: [args.apiHost] } }], {
      type: 'forward',
      targetGroupArn: this.targetGroups.controlPlane.arn,
    });
    rule('llm', 30, [{ hostHeader: { values: [args.gatewayHost] } }], {
      type: 'forward',
      targetGroupArn: this.targetGroups.llmGateway.arn,
    });

    for (const [id, host] of [
      ['api', args.apiHost],
      ['llm', args.gatewayHost],
    ] as const) {
      new aws.route53.Record(
        `${name}-${id}`,
        {
          zoneId: args.hostedZoneId,
          name: host,
          type: 'A',
          aliases: [
            {
              name: this.loadBalancer.dnsName,
              zoneId: this.loadBalancer.zoneId,
              evaluateTargetHealth: true,
            },
          ],
        },
        parent,
      );
    }
    this.apiUrl = `https://${args.apiHost}`;
    this.gatewayUrl = `https://${args.gatewayHost}/v1`;
    this.dashboardUrl = `https://${args.apiHost}/admin/`;
    this.registerOutputs({ apiUrl: this.apiUrl, gatewayUrl: this.gatewayUrl });
  }

  /** `app/<name>/<id>/targetgroup/<name>/<id>`: the ALBRequestCountPerTarget resource label. */
  requestCountLabel(api: PublicApi): pulumi.Output<string> {
    return pulumi.interpolate`${this.loadBalancer.arnSuffix}/${this.targetGroups[api].arnSuffix}`;
  }
}

function notFound(): aws.types.input.lb.ListenerDefaultAction {
  return {
    type: 'fixed-response',
    fixedResponse: {
      contentType: 'application/json',
      statusCode: '404',
      messageBody: '{"error":"not found"}',
    },
  };
}

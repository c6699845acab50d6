import { describeStack } from '../testing/stack-suite';

// dev: 2 AZs, one NAT gateway, no replicas, no deletion protection, no alarm e-mail.
describeStack('dev', {
  counts: {
    'aws:ec2/subnet:Subnet': 8,
    'aws:ec2/routeTable:RouteTable': 6,
    'aws:ec2/routeTableAssociation:RouteTableAssociation': 8,
    'aws:ec2/natGateway:NatGateway': 1,
    'aws:ec2/eip:Eip': 1,
  },
  multiAz: false,
  cacheNodes: 1,
  deletionProtection: false,
});

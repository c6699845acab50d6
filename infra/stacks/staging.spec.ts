import { describeStack } from '../testing/stack-suite';

// staging: 2 AZs with a NAT gateway each, one cache replica, single-AZ database, alarm e-mail.
describeStack('staging', {
  counts: {
    'aws:ec2/subnet:Subnet': 8,
    'aws:ec2/routeTable:RouteTable': 6,
    'aws:ec2/routeTableAssociation:RouteTableAssociation': 8,
    'aws:ec2/natGateway:NatGateway': 2,
    'aws:ec2/eip:Eip': 2,
    'aws:sns/topicSubscription:TopicSubscription': 1,
  },
  multiAz: false,
  cacheNodes: 2,
  deletionProtection: true,
});

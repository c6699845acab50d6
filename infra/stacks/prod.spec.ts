import { describeStack } from '../testing/stack-suite';

// prod: 3 AZs with a NAT gateway each, Multi-AZ database, two cache replicas, alarm e-mail.
describeStack('prod', {
  counts: {
    'aws:ec2/subnet:Subnet': 12,
    'aws:ec2/routeTable:RouteTable': 8,
    'aws:ec2/routeTableAssociation:RouteTableAssociation': 12,
    'aws:ec2/natGateway:NatGateway': 3,
    'aws:ec2/eip:Eip': 3,
    'aws:sns/topicSubscription:TopicSubscription': 1,
  },
  multiAz: true,
  cacheNodes: 3,
  deletionProtection: true,
});

import { stepExits, type StepExit } from './graph';
import type { TaskDefinition } from './task-definition.schema';
import type { StepIndex, TaskIssue } from './validation';

/**
 * A cycle is allowed only when one of its steps has maxVisits. Steps with maxVisits are taken
 * out of the graph; every strongly connected component that still has a cycle is reported once,
 * at the edge that closes its shortest cycle through its first step.
 *
 * Branch-start edges of parallel steps are left out: a branch that leads back to its parallel
 * step is reported by the parallel rules.
 */
export function cycleIssues(definition: TaskDefinition, steps: StepIndex): TaskIssue[] {
  const edges = new Map<number, { to: number; exit: StepExit }[]>();
  definition.steps.forEach((step, i) => {
    if (steps.get(step.id) !== i || step.maxVisits !== undefined) return;
    const out: { to: number; exit: StepExit }[] = [];
    for (const exit of stepExits(step)) {
      const to = steps.get(exit.target);
      if (exit.kind === 'next' && to !== undefined && definition.steps[to].maxVisits === undefined)
        out.push({ to, exit });
    }
    edges.set(i, out);
  });

  const components = stronglyConnected(edges).map((component) => ({
    component,
    first: Math.min(...component),
  }));
  components.sort((a, b) => a.first - b.first);
  return components.flatMap(({ component, first }) => {
    const members = new Set(component);
    const cycle = shortestCycle(first, members, edges);
    if (!cycle) return [];
    const names = [...cycle.nodes, first].map((i) => definition.steps[i].id).join(' → ');
    return [
      {
        path: ['steps', cycle.nodes[cycle.nodes.length - 1], ...cycle.closing.path],
        message: `cycle ${names} has no bound; set maxVisits on one of its steps`,
      },
    ];
  });
}

type Graph = Map<number, { to: number; exit: StepExit }[]>;

/** Breadth-first search from `first` back to itself, inside one component. */
function shortestCycle(
  first: number,
  members: Set<number>,
  edges: Graph,
): { nodes: number[]; closing: StepExit } | undefined {
  const parent = new Map<number, number>([[first, -1]]);
  const queue = [first];
  while (queue.length) {
    const node = queue.shift() as number;
    for (const { to, exit } of edges.get(node) ?? []) {
      if (to === first) {
        const nodes = [node];
        while ((parent.get(nodes[0]) as number) >= 0) nodes.unshift(parent.get(nodes[0]) as number);
        return { nodes, closing: exit };
      }
      if (members.has(to) && !parent.has(to)) {
        parent.set(to, node);
        queue.push(to);
      }
    }
  }
  return undefined;
}

/** Tarjan's algorithm, iterative; components in order of discovery. */
function stronglyConnected(edges: Graph): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;

  for (const root of [...edges.keys()].sort((a, b) => a - b)) {
    if (index.has(root)) continue;
    const work: { node: number; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1];
      const out = edges.get(frame.node) ?? [];
      if (frame.edge < out.length) {
        const to = out[frame.edge++].to;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent)
        low.set(
          parent.node,
          Math.min(low.get(parent.node) as number, low.get(frame.node) as number),
        );
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop() as number;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

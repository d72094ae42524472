/** Task graphs for the layout and drawing specs. */
import { IEdge, ITaskRun } from '../src/tokens';

/** A finished task run named after its id (the layout reads only ids). */
export function task(id: string): ITaskRun {
  return {
    ...{ flow_run_id: 'r', start_time: null, end_time: null },
    ...{ state_type: 'COMPLETED', state_name: 'Completed' },
    id,
    name: id
  };
}

/** The benchmark's shape: every tenth task consumes the ten before it. */
export function fanIn(n: number): {
  tasks: ITaskRun[];
  edges: IEdge[];
} {
  const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`));
  const edges: IEdge[] = [];
  for (let i = 10; i < n; i += 10) {
    for (let j = i - 10; j < i; j++) {
      edges.push({ upstream_id: `t${j}`, downstream_id: `t${i}` });
    }
  }
  return { tasks, edges };
}

import {
  isTerminalRunStatus,
  type ApprovalView,
  type RunEventView,
  type RunStatus,
  type RunSummaryView,
  type RunView,
  type StartRunRequest,
  type StepView,
} from '@gnomon/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useReducer, useState } from 'react';
import { useApi } from '../api/api-context';
import { followRunEvents } from '../api/event-stream';
import type { Page } from '../api/views';
import { invalidatePaths, useApiMutation } from './mutation';
import { applyRunEvent, EMPTY_TIMELINE } from './run-timeline';
import { useCursorPages } from './use-cursor-pages';

export interface RunFilters {
  status?: RunStatus | '';
  taskId?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export const useRuns = (filters: RunFilters) =>
  useCursorPages<RunSummaryView>('/runs', { ...filters }, { refetchInterval: 5_000 });

export function useRun(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/runs', id),
    queryFn: ({ signal }) => api.get<RunView>(`/runs/${id}`, undefined, signal),
  });
}

/** Every step row of a run (input, output, tool calls), oldest first, all pages. */
export function useRunSteps(runId: string) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/runs', runId, 'steps'),
    queryFn: async ({ signal }) => {
      const steps: StepView[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<StepView>>(
          `/runs/${runId}/steps`,
          { limit: 100, cursor },
          signal,
        );
        steps.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && steps.length < 2_000);
      return steps;
    },
  });
}

/** A step's full output (read from S3 when it was offloaded), fetched only when asked for. */
export function useStepOutput(runId: string, stepId: string, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/step-output', runId, stepId),
    queryFn: ({ signal }) =>
      api.get<unknown>(`/runs/${runId}/steps/${stepId}/output`, undefined, signal),
    enabled,
    staleTime: Infinity,
  });
}

/**
 * The run's live timeline: the SSE stream folded through applyRunEvent. The stream replays
 * every event from the start, so the timeline is complete after a reload too. Step changes
 * also refresh the run and its steps (throttled), so figures and outputs follow.
 */
export function useRunTimeline(runId: string) {
  const api = useApi();
  const queries = useQueryClient();
  const [timeline, dispatch] = useReducer(
    (state: typeof EMPTY_TIMELINE, event: RunEventView | null) =>
      event === null ? EMPTY_TIMELINE : applyRunEvent(state, event),
    EMPTY_TIMELINE,
  );
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    dispatch(null);
    setError(null);
    const abort = new AbortController();
    let refresh: ReturnType<typeof setTimeout> | null = null;
    const scheduleRefresh = () => {
      if (refresh) return;
      refresh = setTimeout(() => {
        refresh = null;
        void invalidatePaths(queries, ['/runs', '/approvals']);
      }, 300);
    };
    followRunEvents({
      client: api.client,
      runId,
      tenant: api.tenant,
      signal: abort.signal,
      onConnected: setConnected,
      onEvent: (event) => {
        dispatch(event);
        if (event.type !== 'tool.called') scheduleRefresh();
      },
    }).catch((failure: unknown) => {
      if (!abort.signal.aborted)
        setError(failure instanceof Error ? failure : new Error(String(failure)));
    });
    return () => {
      abort.abort();
      if (refresh) clearTimeout(refresh);
    };
  }, [api.client, api.tenant, runId, queries]);

  return { timeline, connected, error, finished: isTerminalRunStatus(timeline.runStatus ?? '') };
}

export const useStartRun = () =>
  useApiMutation(
    (api, input: { body: StartRunRequest; idempotencyKey: string }) =>
      api.send<RunView>('POST', '/runs', input.body, {
        headers: { 'idempotency-key': input.idempotencyKey },
      }),
    ['/runs'],
  );

export const useCancelRun = () =>
  useApiMutation(
    (api, input: { id: string; reason?: string }) =>
      api.send<RunView>(
        'POST',
        `/runs/${input.id}/cancel`,
        input.reason ? { reason: input.reason } : {},
      ),
    ['/runs', '/approvals'],
  );

export const useReplayRun = () =>
  useApiMutation(
    (api, input: { id: string; fromStep: string }) =>
      api.send<RunView>('POST', `/runs/${input.id}/replay`, { fromStep: input.fromStep }),
    ['/runs'],
  );

// ---- Approvals ----

export const useApprovals = (status: string, runId?: string) =>
  useCursorPages<ApprovalView>(
    '/approvals',
    { status: status || undefined, runId },
    { refetchInterval: 5_000 },
  );

export const useDecideApproval = () =>
  useApiMutation(
    (api, input: { id: string; decision: 'approve' | 'reject'; reason?: string }) =>
      api.send<ApprovalView>(
        'POST',
        `/approvals/${input.id}/${input.decision}`,
        input.reason ? { reason: input.reason } : {},
      ),
    ['/approvals', '/runs'],
  );

import type { LlmStep } from '@gnomon/contracts';
import { TenantDatabase } from '@gnomon/db';
import { StepLedger, StepRepository, ToolCatalog, type StepUsage } from '@gnomon/runs';
import { ToolSchemaValidator, describeViolations } from '@gnomon/tools';
import { nextStep, renderTemplate } from '@gnomon/workflow';
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { GatewayClient } from '../clients/gateway.client';
import { StepError } from './step-errors';
import type { ToolInvoker } from './tool-invoker';
import type { StepResult, StepWork } from './step-work';

/** What one turn of an agent loop keeps (steps.state): the model's answer and its tool results. */
interface TurnState {
  assistant?: ChatCompletionAssistantMessageParam;
  toolResults?: { id: string; content: string }[];
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

/**
 * An `llm` step: one model turn per step row. With tools, a turn whose answer calls tools runs
 * them and hands over to the next turn (a new row, a new cursor) until the model answers
 * without tool calls or `maxTurns` is reached. The model's answer is checkpointed before any
 * tool runs, so a redelivered turn never calls (or bills) the model again.
 */
export class LlmStepRunner {
  private readonly schemas = new ToolSchemaValidator();

  constructor(
    private readonly db: TenantDatabase,
    private readonly gateway: GatewayClient,
    private readonly tools: ToolInvoker,
    private readonly steps = new StepRepository(),
    private readonly ledger = new StepLedger(),
    private readonly catalog = new ToolCatalog(),
  ) {}

  async run(work: StepWork, llm: LlmStep): Promise<StepResult> {
    const { scope, step } = work;
    const prompt = text(renderTemplate(llm.prompt, work.runScope));
    const messages: ChatCompletionMessageParam[] = [];
    if (llm.system)
      messages.push({ role: 'system', content: text(renderTemplate(llm.system, work.runScope)) });
    messages.push({ role: 'user', content: prompt });
    // A first turn without tools (the common case) needs nothing more from the database.
    const { prior, functions } =
      step.turn > 1 || (llm.tools ?? []).length > 0
        ? await this.db.inTenant(scope, async (t) => ({
            prior: step.turn > 1 ? await this.steps.turnsBefore(t, step) : [],
            functions: await this.functionsOf(t, llm),
          }))
        : { prior: [], functions: [] };
    for (const turn of prior) messages.push(...turnMessages(turn.state as TurnState | null));

    const state: TurnState = { ...((step.state as TurnState | null) ?? {}) };
    // Usage and input of a model call made in this delivery, not yet written: they are saved
    // with the step's result, or checkpointed first when tools run or the answer is refused.
    // (A redelivery before that calls the model again with the same Idempotency-Key, and the
    // gateway answers from its record without billing twice.)
    let usage: StepUsage | undefined;
    let input: unknown;
    if (!state.assistant) {
      const request: ChatCompletionCreateParamsNonStreaming = {
        model: llm.model,
        messages,
        ...(functions.length > 0 ? { tools: functions } : {}),
        ...(llm.temperature !== undefined ? { temperature: llm.temperature } : {}),
        ...(llm.maxTokens !== undefined ? { max_tokens: llm.maxTokens } : {}),
        ...(llm.outputSchema && functions.length === 0
          ? {
              response_format: {
                type: 'json_schema',
                json_schema: { name: 'output', schema: llm.outputSchema, strict: false },
              },
            }
          : {}),
      };
      const result = await this.gateway.complete(request, {
        tenantId: scope.tenantId,
        runId: work.run.id,
        stepId: step.id,
        idempotencyKey: `step-${step.id}-attempt-${step.attempt}`,
        signal: work.signal,
      });
      const message = result.completion.choices[0]?.message;
      state.assistant = {
        role: 'assistant',
        content: message?.content ?? null,
        ...(message?.tool_calls?.length ? { tool_calls: message.tool_calls } : {}),
      };
      usage = {
        inputTokens: result.completion.usage?.prompt_tokens ?? 0,
        outputTokens: result.completion.usage?.completion_tokens ?? 0,
        costMicros: result.costMicros,
        modelMs: result.durationMs,
      };
      if (step.turn === 1) input = { model: llm.model, prompt };
    }
    const checkpoint = () =>
      this.db.sqlInTenant(scope, (s) => this.ledger.checkpoint(s, step, state, { usage, input }));

    const calls = (state.assistant.tool_calls ?? []).filter((call) => call.type === 'function');
    if (calls.length > 0 && functions.length > 0) {
      if (step.turn >= llm.maxTurns) {
        throw new StepError(
          'max_turns_exceeded',
          `the agent loop of step "${step.stepKey}" reached maxTurns (${llm.maxTurns}) and the model still calls tools`,
          'StepFailed',
          false,
        );
      }
      await checkpoint(); // the model's answer is saved before any tool runs
      state.toolResults = [];
      for (const call of calls) {
        let input: unknown;
        try {
          input = JSON.parse(call.function.arguments || '{}');
        } catch {
          state.toolResults.push({
            id: call.id,
            content: 'error: the arguments are not valid JSON',
          });
          continue;
        }
        if (!(llm.tools ?? []).includes(call.function.name)) {
          // Only the step's own tools: a model (or a prompt injection) cannot reach the rest.
          state.toolResults.push({
            id: call.id,
            content: `error: tool "${call.function.name}" is not available in this step`,
          });
          continue;
        }
        const result = await this.tools.invoke(
          scope,
          work.run,
          step,
          { name: call.function.name, input, callKey: call.id },
          work.signal,
        );
        state.toolResults.push({
          id: call.id,
          content:
            result.status === 'SUCCEEDED'
              ? text(result.output)
              : `error (${result.status}): ${result.error?.message ?? 'the tool failed'}`,
        });
      }
      await this.db.sqlInTenant(scope, (s) => this.ledger.checkpoint(s, step, state));
      return { output: null, plan: { kind: 'turn' } };
    }

    const content = state.assistant.content;
    const answer = typeof content === 'string' ? content : '';
    let output: unknown = answer;
    if (llm.outputSchema) {
      try {
        output = JSON.parse(answer);
      } catch {
        await checkpoint();
        throw new StepError(
          'output_not_json',
          'the model answer is not JSON',
          'OutputInvalid',
          true,
        );
      }
      const check = this.schemas.check(llm.outputSchema, output, 'output');
      if (!check.ok) {
        await checkpoint();
        throw new StepError(
          'output_invalid',
          describeViolations(check.violations),
          'OutputInvalid',
          true,
        );
      }
    }
    return { output, plan: nextStep(work.definition, step.stepKey), usage, input };
  }

  private async functionsOf(
    t: Parameters<ToolCatalog['describe']>[0],
    llm: LlmStep,
  ): Promise<ChatCompletionTool[]> {
    const functions: ChatCompletionTool[] = [];
    for (const name of llm.tools ?? []) {
      const tool = await this.catalog.describe(t, name);
      if (!tool)
        throw new StepError('unknown_tool', `tool "${name}" does not exist`, 'ToolFailed', false);
      functions.push({
        type: 'function',
        function: {
          name,
          description: tool.description,
          parameters: tool.inputSchema ?? { type: 'object' },
        },
      });
    }
    return functions;
  }
}

function turnMessages(state: TurnState | null): ChatCompletionMessageParam[] {
  if (!state?.assistant) return [];
  return [
    state.assistant,
    ...(state.toolResults ?? []).map((result): ChatCompletionMessageParam => ({
      role: 'tool',
      tool_call_id: result.id,
      content: result.content,
    })),
  ];
}

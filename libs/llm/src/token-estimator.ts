import type { ChatCompletionRequest, ContentPart } from '@gnomon/contracts';

/**
 * Upper-bound estimate of prompt tokens, for reserving budget before a call. Deliberately
 * pessimistic (≈3 characters per token, plus per-message and per-image overhead): a reservation
 * that is too high is released at reconciliation, one that is too low could overspend.
 */
export function estimatePromptTokens(
  request: Pick<ChatCompletionRequest, 'messages' | 'tools' | 'response_format'>,
): number {
  let chars = 0;
  let images = 0;
  const addContent = (content: string | ContentPart[] | null | undefined) => {
    if (!content) return;
    if (typeof content === 'string') {
      chars += content.length;
      return;
    }
    for (const part of content) {
      if (part.type === 'text') chars += part.text.length;
      else images += 1;
    }
  };
  for (const message of request.messages) {
    chars += 16; // role and framing
    addContent(message.content);
    if (message.role === 'assistant' && message.tool_calls) {
      for (const call of message.tool_calls)
        chars += call.function.name.length + call.function.arguments.length + 16;
    }
  }
  if (request.tools) chars += JSON.stringify(request.tools).length;
  if (request.response_format) chars += JSON.stringify(request.response_format).length;
  return Math.ceil(chars / 3) + images * 1_600 + 8;
}

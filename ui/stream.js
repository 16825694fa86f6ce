// A streamed chat completion: fetch + ReadableStream, parsed as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html: events end with a blank line,
// "data:" lines join with \n, lines starting with ":" are comments). Aborting the fetch closes the
// connection, which makes r1 serve cancel the sequence.
import { apiFetch } from './api.js';

/** Splits an SSE byte stream's text into the data of each event; keeps the unfinished tail. */
export function parseSse(buffer) {
  const events = [];
  const parts = buffer.split(/\r\n\r\n|\n\n|\r\r/);
  const rest = parts.pop();
  for (const part of parts) {
    const data = [];
    for (const line of part.split(/\r\n|\n|\r/)) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
    if (data.length) events.push(data.join('\n'));
  }
  return { events, rest };
}

/**
 * Streams one answer. handlers: onReasoning(text), onContent(text), onUsage(usage).
 * Resolves to { state: 'complete' | 'stopped' | 'interrupted' | 'error', error?, finishReason }.
 */
export async function streamChat(body, signal, handlers) {
  let res;
  try {
    res = await apiFetch('/v1/chat/completions', {
      method: 'POST', body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }), signal,
    });
  } catch (e) {
    if (signal.aborted) return { state: 'stopped' };
    return { state: e.status ? 'error' : 'interrupted', error: e.message };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finishReason = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const { events, rest } = parseSse(buffer);
      buffer = rest;
      for (const data of events) {
        if (data === '[DONE]') return { state: 'complete', finishReason };
        let chunk;
        try { chunk = JSON.parse(data); } catch (e) { continue; }
        if (chunk.error) return { state: 'error', error: chunk.error.message || 'server error' };
        if (chunk.usage) handlers.onUsage(chunk.usage);
        const choice = chunk.choices && chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta || {};
        if (delta.reasoning_content) handlers.onReasoning(delta.reasoning_content);
        if (delta.content) handlers.onContent(delta.content);
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    }
  } catch (e) {
    if (signal.aborted) return { state: 'stopped', finishReason };
    return { state: 'interrupted', error: `The connection dropped: ${e.message}` };
  }
  if (signal.aborted) return { state: 'stopped', finishReason };
  return { state: 'interrupted', error: 'The connection closed before the answer was finished.' };
}

/**
 * What every provider simulator builds answers and reads requests with.
 * @module
 */
import type { SimulatedResponse, SimulatorRequest } from './types.js';

/** A JSON answer; `headers` may override the content type. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimulatedResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A method's arguments, from a JSON or a form-encoded body (Slack and Telegram take both). */
export function argumentsOf(request: SimulatorRequest): Record<string, unknown> {
  if (typeof request.json === 'object' && request.json !== null && !Array.isArray(request.json)) {
    return request.json as Record<string, unknown>;
  }
  return Object.fromEntries(new URLSearchParams(request.bodyText));
}

/**
 * Deterministic token counts, reply text and embedding vectors for the simulators. Nothing here
 * tries to match a real tokenizer: the rules are simple and fixed, so that a test can predict every
 * number, and a ledger can be checked against what a simulator served.
 *
 * The rules:
 * - **text**: `ceil(code points / 4)` tokens; the empty string is 0.
 * - **prompt**: per message `3 + tokens(text) + 85 × images`, plus 3 for priming the reply, plus
 *   `tokens(JSON of the tools)` when tools are declared (OpenAI's documented per-message overhead,
 *   and its low-detail image price).
 * - **cached input**: half the prompt, rounded down, once the prompt has at least 64 tokens;
 *   0 below that. Cached tokens are part of the input tokens, as providers report them.
 * - **reply**: `Simulated reply: ` and the first 8 words of the last user message
 *   (`Simulated reply.` when there is none); its tokens are the visible output tokens.
 * - **reasoning**: models whose id starts with `o` and a digit (`o1`, `o3-mini`, `o4-mini`) think
 *   for 4 × the visible output tokens. Reasoning tokens are part of the output tokens, as
 *   providers report them.
 * - **output limit** (`max_tokens` and friends): reasoning takes what it needs up to the limit,
 *   the visible text is cut to what is left (4 characters a token) and the finish reason is
 *   `length`.
 * - **embeddings**: a unit vector from a PRNG seeded with a hash of the text; every component is
 *   a float32 value, so the `float` and `base64` encodings carry the same numbers.
 * @module
 */

/** Characters per token. */
export const CHARS_PER_TOKEN = 4;
/** Tokens added for every message (role and separators). */
export const TOKENS_PER_MESSAGE = 3;
/** Tokens added once per prompt, priming the reply. */
export const REPLY_PRIMING_TOKENS = 3;
/** Tokens for each image in a prompt (OpenAI's low-detail price). */
export const TOKENS_PER_IMAGE = 85;
/** Prompts with at least this many tokens are half served from the cache. */
export const CACHE_MIN_PROMPT_TOKENS = 64;
/** Reasoning tokens per visible output token, for reasoning models. */
export const REASONING_FACTOR = 4;
/** How many words of the last user message the reply repeats. */
export const REPLY_WORDS = 8;

/** Tokens in `text`: `ceil(code points / 4)`. */
export function countTokens(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return Math.ceil(length / CHARS_PER_TOKEN);
}

/** One prompt message reduced to what is counted. */
export interface PromptMessage {
  /** `system`, `developer`, `user`, `assistant`, `tool`… */
  readonly role: string;
  /** All the text of the message, joined. */
  readonly text: string;
  /** How many images it holds. */
  readonly images: number;
}

/** Input tokens of a prompt: see the module rules. `extra` is counted as plain text (tool declarations). */
export function promptTokens(messages: readonly PromptMessage[], extra = ''): number {
  let total = REPLY_PRIMING_TOKENS + countTokens(extra);
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.text) + TOKENS_PER_IMAGE * message.images;
  }
  return total;
}

/** Cached input tokens for a prompt of `prompt` tokens: half of it from 64 tokens on, else 0. */
export function cachedTokens(prompt: number): number {
  return prompt >= CACHE_MIN_PROMPT_TOKENS ? Math.floor(prompt / 2) : 0;
}

/** Whether the simulators treat `model` as a reasoning model: `o` followed by a digit. */
export function isReasoningModel(model: string): boolean {
  return /^o\d/.test(model);
}

/** The reply to a prompt whose last user message is `lastUserText`. */
export function replyText(lastUserText: string | undefined): string {
  const words = (lastUserText ?? '').split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return 'Simulated reply.';
  return `Simulated reply: ${words.slice(0, REPLY_WORDS).join(' ')}`;
}

/** What a model answers and what it costs. */
export interface Completion {
  /** The visible text. */
  readonly text: string;
  /** All output tokens: the visible text's plus the reasoning tokens. */
  readonly outputTokens: number;
  /** Reasoning tokens (included in `outputTokens`). */
  readonly reasoningTokens: number;
  /** `stop`, or `length` when the output limit cut it. */
  readonly finishReason: 'stop' | 'length';
}

/**
 * The completion of `model` for a prompt whose last user message is `lastUserText`, within an
 * optional output limit (`max_tokens`, `max_completion_tokens`, `max_output_tokens`).
 */
export function complete(
  model: string,
  lastUserText: string | undefined,
  maxOutputTokens?: number,
): Completion {
  const full = replyText(lastUserText);
  const visible = countTokens(full);
  const reasoning = isReasoningModel(model) ? REASONING_FACTOR * visible : 0;
  if (maxOutputTokens === undefined || visible + reasoning <= maxOutputTokens) {
    return {
      text: full,
      outputTokens: visible + reasoning,
      reasoningTokens: reasoning,
      finishReason: 'stop',
    };
  }
  const limit = Math.max(0, Math.floor(maxOutputTokens));
  const reasoningUsed = Math.min(reasoning, limit);
  const text = [...full].slice(0, (limit - reasoningUsed) * CHARS_PER_TOKEN).join('');
  return {
    text,
    outputTokens: reasoningUsed + countTokens(text),
    reasoningTokens: reasoningUsed,
    finishReason: 'length',
  };
}

/** 32-bit FNV-1a of `text`. */
function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index += 1) {
    value = Math.imul(value ^ text.charCodeAt(index), 16777619);
  }
  return value >>> 0;
}

/** mulberry32: a small seeded PRNG. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic unit vector of `dimensions` float32 values for `text`. */
export function embedding(text: string, dimensions: number): number[] {
  const random = seeded(hash(text));
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, value) => sum + value * value, 0)) || 1;
  return raw.map((value) => Math.fround(value / norm));
}

/** `values` as little-endian float32 bytes in base64, the way OpenAI sends `encoding_format: 'base64'`. */
export function float32Base64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString('base64');
}

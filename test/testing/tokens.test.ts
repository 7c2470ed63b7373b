import { describe, expect, it } from 'vitest';
import {
  cachedTokens,
  complete,
  countTokens,
  embedding,
  float32Base64,
  isReasoningModel,
  promptTokens,
  replyText,
} from '../../src/testing/tokens.js';

describe('simulator token rules', () => {
  it('counts ceil(code points / 4) tokens', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('😀😀😀😀')).toBe(1);
  });

  it('adds 3 per message, 3 for the reply, 85 per image and the tools text', () => {
    expect(promptTokens([])).toBe(3);
    expect(promptTokens([{ role: 'user', text: 'abcdefgh', images: 0 }])).toBe(3 + 3 + 2);
    expect(promptTokens([{ role: 'user', text: '', images: 2 }], 'abcd')).toBe(3 + 1 + 3 + 170);
  });

  it('caches half of prompts from 64 tokens on', () => {
    expect(cachedTokens(63)).toBe(0);
    expect(cachedTokens(64)).toBe(32);
    expect(cachedTokens(101)).toBe(50);
  });

  it('replies with the first 8 words of the last user message', () => {
    expect(replyText(undefined)).toBe('Simulated reply.');
    expect(replyText('  ')).toBe('Simulated reply.');
    expect(replyText('one two  three four five six seven eight nine')).toBe(
      'Simulated reply: one two three four five six seven eight',
    );
  });

  it('thinks 4× the visible tokens on o-models, within the output limit', () => {
    expect(isReasoningModel('o3-mini')).toBe(true);
    expect(isReasoningModel('o1')).toBe(true);
    expect(isReasoningModel('omni-moderation-latest')).toBe(false);
    expect(isReasoningModel('gpt-4o')).toBe(false);
    const plain = complete('gpt-4o-mini', 'hello');
    expect(plain).toEqual({
      text: 'Simulated reply: hello',
      outputTokens: 6,
      reasoningTokens: 0,
      finishReason: 'stop',
    });
    expect(complete('o3-mini', 'hello')).toEqual({ ...plain, outputTokens: 30, reasoningTokens: 24 });
    expect(complete('o3-mini', 'hello', 26)).toEqual({
      text: 'Simulate', // 2 tokens left after 24 of reasoning: 8 characters
      outputTokens: 24 + 2,
      reasoningTokens: 24,
      finishReason: 'length',
    });
    expect(complete('o3-mini', 'hello', 10)).toMatchObject({
      text: '',
      outputTokens: 10,
      reasoningTokens: 10,
    });
  });

  it('embeds text as a deterministic float32 unit vector', () => {
    const vector = embedding('hello', 16);
    expect(vector).toEqual(embedding('hello', 16));
    expect(vector).not.toEqual(embedding('hellO', 16));
    expect(vector.every((value) => Math.fround(value) === value)).toBe(true);
    const bytes = Buffer.from(float32Base64(vector), 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 16))).toEqual(vector);
  });
});

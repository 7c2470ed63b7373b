/**
 * docs/providers.md's example runs as documented, against the built package, and prints no key.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/custom-provider.mjs', () => {
  it('registers a provider and uses it: masked id, a reply, redaction, a wrong key refused, priced usage', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['examples/custom-provider.mjs'], {
      cwd: root,
      env: { ...process.env, MY_LLM_API_KEY: '' },
    });
    expect(stderr).toBe('');
    expect(stdout).toContain(
      "client: KeycardClient {\n  provider: 'my-llm',\n  source: 'env:MY_LLM_API_KEY'",
    );
    expect(stdout).toMatch(/maskedId: 'myllm-\*\*\*\*[0-9a-f]{4}'/);
    expect(stdout).toMatch(/reply: Simulated reply/);
    expect(stdout).toMatch(/redacted: MY_LLM_API_KEY=\[REDACTED my-llm myllm-\*\*\*\*[0-9a-f]{4}\]/);
    expect(stdout).toContain('caught CredentialError (wrong_provider): This looks like an Anthropic API key');
    expect(stdout).toContain("provider: 'my-llm',\n    model: 'gpt-4o-mini',\n    requests: 1");
    expect(stdout).toMatch(/costUsd: 0\.0000\d+/);
    expect(stdout).not.toMatch(/myllm-[0-9a-f]{8}/);
    expect(stdout).not.toMatch(/sk-ant-api03-[A-Za-z0-9_-]{8}/);
  });
});

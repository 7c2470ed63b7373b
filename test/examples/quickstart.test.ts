/**
 * The README's example runs as documented, against the built package, and prints no key.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/quickstart.mjs', () => {
  it('runs offline and shows the client, a reply, verify, a CredentialError and usage', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['examples/quickstart.mjs'], {
      cwd: root,
      env: { ...process.env, OPENAI_API_KEY: '' },
    });
    expect(stderr).toBe('');
    expect(stdout).toContain(
      "client: KeycardClient {\n  provider: 'openai',\n  source: 'env:DEMO_OPENAI_KEY'",
    );
    expect(stdout).toMatch(/reply: Simulated reply/);
    expect(stdout).toMatch(/streamed: Simulated reply/);
    expect(stdout).toContain("organization: 'org-simulated'");
    expect(stdout).toContain(
      'caught CredentialError (unauthorized): OpenAI rejected the API key sk-proj-****',
    );
    expect(stdout).toContain("model: 'gpt-4o-mini',\n    requests: 2");
    // The example's key is random; no clear sk-proj- key may be printed, only its masked id.
    expect(stdout).not.toMatch(/sk-proj-[A-Za-z0-9_-]{8}/);
  });
});

import { lintSource } from '@secretlint/core';
import { creator as secretlintRecommended } from '@secretlint/secretlint-rule-preset-recommend';
import type { Rule, Span } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'secrets/api-key';

// Secretlint's recommended preset covers cloud, VCS, chat and package-registry tokens. It does not
// know the LLM providers' key shapes, which are what prompt files leak most, so those are added here.
const LLM_KEY_SHAPES: { provider: string; env: string; pattern: RegExp }[] = [
  { provider: 'Anthropic', env: 'ANTHROPIC_API_KEY', pattern: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,120}/g },
  { provider: 'OpenAI', env: 'OPENAI_API_KEY', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}/g },
  { provider: 'OpenAI', env: 'OPENAI_API_KEY', pattern: /\bsk-(?:proj-|svcacct-)[A-Za-z0-9_-]{40,200}/g },
  { provider: 'Hugging Face', env: 'HF_TOKEN', pattern: /\bhf_[A-Za-z]{34}\b/g },
  { provider: 'Google', env: 'GOOGLE_API_KEY', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { provider: 'Groq', env: 'GROQ_API_KEY', pattern: /\bgsk_[A-Za-z0-9]{52}\b/g },
  { provider: 'Replicate', env: 'REPLICATE_API_TOKEN', pattern: /\br8_[A-Za-z0-9]{37}\b/g },
];

/** Shannon entropy in bits per character: real keys are random, placeholders are not. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const PLACEHOLDER = /(x{6,}|\.{3}|<[^>]*>|your[_-]?(api[_-]?)?key|example|dummy|placeholder|redacted|0{8,})/i;

export const apiKey: Rule = {
  meta: {
    id: ID,
    category: 'secrets',
    defaultSeverity: 'error',
    description: 'An API key or token written into a prompt or tool file, where it ships to every reader and every model call.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  async check(context) {
    const text = context.document.text;
    const seen: Span[] = [];
    const report = (span: Span, what: string, env: string): void => {
      if (seen.some((s) => s.start < span.end && span.start < s.end)) return;
      seen.push(span);
      context.report({
        span,
        message: `${what} is written in the file. Anyone with the file, and every model the prompt is sent to, sees it. Load it from the environment or a secret input instead, and rotate it.`,
        fix: { title: `Replace with \${${env}}`, edits: [{ span, newText: `\${${env}}` }] },
        data: { env },
      });
    };
    for (const { provider, env, pattern } of LLM_KEY_SHAPES) {
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        if (PLACEHOLDER.test(match[0]) || entropy(match[0]) < 3.5) continue;
        report({ start: match.index, end: match.index + match[0].length }, `A ${provider} API key`, env);
      }
    }
    const result = await lintSource({
      source: { filePath: context.document.uri, content: text, contentType: 'text' },
      options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: secretlintRecommended }] }, noPhysicFilePath: true },
    });
    for (const message of result.messages) {
      // Private keys have a rule of their own.
      if (message.ruleId.includes('privatekey')) continue;
      const data = message.data as { typeName?: unknown } | undefined;
      const typeName = typeof data?.typeName === 'string' ? data.typeName : message.ruleId.replace('@secretlint/secretlint-rule-', '');
      const env = `${typeName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
      report({ start: message.range[0], end: message.range[1] }, `A secret (${typeName}, found by secretlint)`, env || 'SECRET');
    }
  },
};

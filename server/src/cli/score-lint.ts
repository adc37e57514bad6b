// What `score` adds to each scored line besides the guard's numbers: the text linted as the kind it
// is (a tool description as a tool, a system prompt as one), through the same engine as `check`.
import * as path from 'node:path';
import type { Severity, UnitScorer } from '../core/types';
import type { Engine } from '../engine/engine';
import { TOOL_OUTPUT_FILE } from '../formats/tool-output';

/** What a text is, so it is linted as that (the tool rules read tool descriptions, and so on). */
export const SCORE_KINDS = ['prompt', 'system-prompt', 'tool-description', 'tool-output', 'agent-config', 'skill'] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** One finding on a scored text: a policy rule's or the latent guard's, any severity. */
export interface ScoreFinding {
  rule: string;
  severity: Exclude<Severity, 'off'>;
  message: string;
}

/**
 * Lints one text as `kind` (the CLI passes the engine's). `scorer` is the guard the command loaded,
 * for the latent findings; `threshold` the cut in force. `rules` lists the policy rules that fired
 * (as before); `findings` every finding, latent ones included. A bare list of rule ids is accepted too.
 */
export type ScoreLinter = (text: string, kind: ScoreKind, scorer: UnitScorer | undefined, threshold: number) => Promise<{ rules: string[]; findings: ScoreFinding[] } | string[]>;

/** @deprecated the older name of a linter that returns rule ids only. */
export type PolicyRuleIds = ScoreLinter;

/** The file a scored text of each kind is linted as, so that kind's format (and its rules) read it. */
export function scoreFileFor(engine: Engine, kind: ScoreKind, text: string): { name: string; text: string } {
  switch (kind) {
    case 'prompt':
      return { name: 'score.prompt.md', text };
    case 'system-prompt':
      // A plain system prompt: template braces count as placeholders, scope hygiene applies.
      return { name: 'system-prompt.txt', text };
    case 'skill':
      return { name: 'SKILL.md', text };
    case 'tool-output':
      return { name: TOOL_OUTPUT_FILE, text };
    case 'tool-description':
      // One MCP tool whose description is the text: the tool rules read it as a tool description.
      return { name: 'tools.json', text: JSON.stringify({ tools: [{ name: 'scored_tool', description: text, inputSchema: { type: 'object', properties: {} } }] }, null, 2) };
    case 'agent-config': {
      // The config itself (mcp.json, Claude settings, a server manifest, tools, CrewAI YAML), found by
      // its shape; anything else is an agent definition in Markdown.
      for (const name of ['.vscode/mcp.json', '.claude/settings.json', 'server.json', 'tools.json', 'agents.yaml', 'tasks.yaml']) {
        const format = engine.formatFor(name, text, false);
        if (format && !/prompt/.test(format.id)) {
          if (name.endsWith('.yaml') && !/^\s*[\w-]+\s*:/m.test(text)) continue;
          return { name, text };
        }
      }
      return { name: 'score.agent.md', text };
    }
  }
}

/** `score`'s linter: the engine on the text as its kind, the guard the command loaded plugged in. */
export async function lintScoredText(engine: Engine, text: string, kind: ScoreKind, scorer: UnitScorer | undefined, threshold: number): Promise<{ rules: string[]; findings: ScoreFinding[] }> {
  const file = scoreFileFor(engine, kind, text);
  const filePath = path.resolve(file.name);
  const config = engine.configs.resolveForFile(filePath);
  engine.scorer = scorer;
  // Every finding is listed (info ones too: evaluators filter by severity); `rules` keeps its old
  // meaning, the policy rules that fire at the configured minimum severity.
  const result = await engine.lintText(filePath, file.text, {
    explicit: true,
    latent: scorer !== undefined,
    config: { ...config, minSeverity: 'info', latent: { ...config.latent, enabled: scorer !== undefined, threshold } },
  });
  const rank = { info: 0, warning: 1, error: 2 } as const;
  const latentIds = new Set(scorer?.metas?.map((meta) => meta.id) ?? []);
  const isLatent = (ruleId: string): boolean => latentIds.has(ruleId) || ruleId.startsWith('latent/');
  return {
    rules: result.findings.filter((f) => !isLatent(f.ruleId) && rank[f.severity] >= rank[config.minSeverity]).map((f) => f.ruleId),
    findings: result.findings.filter((f) => !f.suppressed).map((f) => ({ rule: f.ruleId, severity: f.severity, message: f.message })),
  };
}

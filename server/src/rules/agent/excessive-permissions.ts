import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { lineAround, quote } from '../text';

const ID = 'agent/excessive-permissions';

const ALL_TOOLS = /^(\*|all|any|\*\*|Bash\(\*\)|Bash\(:\*\))$/i;
const BYPASS_MODE = /^(bypass-?permissions|trust|yolo|dont-?ask|danger(ous)?-?full-?access|full-?auto|never|auto-?approve(-?all)?)$/i;

// Switches that turn off the client's approval prompts, in any file (configs, scripts, prompts).
const BYPASS_TEXT =
  /--dangerously-skip-permissions\b|--dangerously-bypass-approvals-and-sandbox\b|--yolo\b|--approval-mode[= ](?:yolo|full-auto)\b|--full-auto\b|--allow-all-tools\b|--trust-all-tools\b|\bbypassPermissions\b|["']?(?:chat\.tools\.)?autoApprove["']?\s*:\s*(?:true|["']?\*["']?|\[\s*["']\*["']\s*\])|["']?alwaysAllow["']?\s*:\s*\[\s*["']\*["']\s*\]|["']?approval_policy["']?\s*[:=]\s*["']?never\b|["']?sandbox_mode["']?\s*[:=]\s*["']?danger-full-access\b/g;

// Documentation that names the flag to warn about it.
const WARNS = /\b(never|do\s+not|don'?t|avoid|dangerous|unsafe|warning|caution|not\s+recommended|risk)\b/i;

export const excessivePermissions: Rule = {
  meta: {
    id: ID,
    category: 'agent',
    defaultSeverity: 'error',
    description: "Agent settings that allow every tool or switch off the client's permission prompts (tools: ['*'], bypassPermissions, --dangerously-skip-permissions, autoApprove: true, yolo).",
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const { document } = context;
    const seen: { start: number; end: number }[] = [];
    const report = (start: number, end: number, message: string, data: Record<string, unknown>): void => {
      // The setting read from the agent config and the same words found in the text are one finding.
      if (seen.some((span) => span.start < end && start < span.end)) return;
      seen.push({ start, end });
      context.report({ span: { start, end }, message, data });
    };
    for (const agent of document.agents) {
      const all = agent.allowedTools?.find((tool) => ALL_TOOLS.test(tool.trim()));
      if (all !== undefined && agent.allowedToolsSpan) {
        report(
          agent.allowedToolsSpan.start,
          agent.allowedToolsSpan.end,
          `The agent is allowed every tool ("${all}"), including any a server adds later; a hijacked agent can then use all of them. List the tools it needs.`,
          { tools: agent.allowedTools },
        );
      }
      if (agent.permissionMode && BYPASS_MODE.test(agent.permissionMode.trim()) && agent.permissionModeSpan) {
        report(
          agent.permissionModeSpan.start,
          agent.permissionModeSpan.end,
          `Permission mode "${agent.permissionMode}" runs tools without asking the user; any injected instruction becomes an action. Use a mode that asks before edits and commands.`,
          { permissionMode: agent.permissionMode },
        );
      }
    }
    const text = document.text;
    BYPASS_TEXT.lastIndex = 0;
    for (let match = BYPASS_TEXT.exec(text); match; match = BYPASS_TEXT.exec(text)) {
      // The words around it on its line (a bounded window, so a one-line file stays linear).
      const { before, after } = lineAround(text, match.index, match.index + match[0].length);
      if (WARNS.test(`${before} ${after}`)) continue;
      report(
        match.index,
        match.index + match[0].length,
        `"${quote(match[0])}" switches off the client's approval prompts, so every tool call runs unreviewed; a prompt injection then acts with the user's full rights. Remove it and approve tool calls as they come.`,
        { setting: match[0] },
      );
    }
  },
};

import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'hygiene/missing-scope';

const MIN_WORDS = 40;

// A stated scope: what the assistant is for, or what it only does.
const SCOPE =
  /\b(only|solely|exclusively|limited\s+to|restricted\s+to|scope|focus(?:es|ed)?\s+on|specialized\s+in|specialised\s+in|your\s+(?:role|task|job|purpose|goal)\s+is|you\s+(?:are|act\s+as)\s+(?:a|an)\b|you\s+help\b|this\s+(?:agent|assistant|prompt|skill|mode)\s+(?:is|helps|will)|applies\s+to|purpose|responsible\s+for|designed\s+to|I\s+want\s+you\s+to\s+act\s+as|act\s+as\s+(?:a|an)\b|expert\s+(?:in|at|on)|use\s+this\s+(?:skill|prompt|agent)\s+(?:when|for|to))\b/i;
// A refusal policy: what to do with requests outside the scope.
const REFUSAL =
  /\b(refuse|decline|politely\s+(?:say|tell|explain)|out[- ]of[- ]scope|outside\s+(?:of\s+)?(?:your|the|this)\s+(?:scope|domain|area)|off[- ]topic|unrelated\s+(?:requests?|questions?|topics?)|do\s+not\s+(?:answer|respond\s+to|help\s+with)|don'?t\s+(?:answer|respond\s+to|help\s+with)|not\s+(?:able|allowed)\s+to\s+help|redirect\s+(?:the\s+user|them)|only\s+(?:answer|respond|reply|discuss|help))\b/i;

// Files that add to an agent's own system prompt rather than being it: repository instructions
// (AGENTS.md, CLAUDE.md, copilot-instructions, *.instructions.md, Cursor and Windsurf rules), a skill
// (its description says when it applies) and a task prompt (its task is its scope). The scope belongs
// to the agent or chat mode that reads them; on awesome-copilot these are 77 of the 91 files the rule
// fired on, and AGENTS.md's own heading was its most common target (#14).
const ADDS_TO_A_SYSTEM_PROMPT =
  /(?:^|\/)(?:(?:AGENTS|CLAUDE|GEMINI|SKILL|copilot-instructions)\.md|\.cursorrules|\.windsurfrules)$|\.(?:instructions|prompt)\.md$|\.mdc$/i;

export const missingScope: Rule = {
  meta: {
    id: ID,
    category: 'hygiene',
    defaultSeverity: 'info',
    strictSeverity: 'warning',
    description: 'A system prompt that states neither what it is for nor what to do with requests outside that; such prompts are easier to steer off task.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const { document } = context;
    if (!document.isSystemPrompt || ADDS_TO_A_SYSTEM_PROMPT.test(document.uri.replace(/\\/g, '/'))) return;
    const prose = document.units.filter((unit) => unit.instruction).map((unit) => unit.text).join('\n');
    const words = prose.split(/\s+/).filter((word) => word.length > 0).length;
    if (words < MIN_WORDS) return;
    const hasScope = SCOPE.test(prose);
    const hasRefusal = REFUSAL.test(prose);
    if (hasScope || hasRefusal) return;
    // The first paragraph of prose, not a heading: the fix inserts the scope line there.
    const paragraphs = document.units.filter((unit) => unit.instruction && unit.kind !== 'frontmatter-field');
    const first = paragraphs.find((unit) => !unit.text.startsWith('#')) ?? paragraphs[0] ?? document.units[0];
    if (!first) return;
    const lineEnd = document.text.indexOf('\n', first.span.start);
    const span = { start: first.span.start, end: lineEnd < 0 || lineEnd > first.span.end ? first.span.end : lineEnd };
    context.report({
      span,
      message: `This ${words}-word system prompt says neither what it is for nor what to do with requests outside that; a model without a stated scope follows whatever it is asked next. Add one line of scope and one of refusal.`,
      fix: {
        title: 'Add a scope and a refusal line',
        edits: [
          {
            span: { start: first.span.start, end: first.span.start },
            newText: 'Scope: only help with <the task this prompt is for>. If a request is outside that scope, politely decline and say what you can help with.\n\n',
          },
        ],
      },
      data: { words },
    });
  },
};

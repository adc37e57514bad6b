import type { AgentSettings, Rule, Span } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { matchUnits, quote, sentenceAround } from '../text';

const ID = 'agent/unbounded-autonomy';

/** Above this many steps an iteration limit no longer bounds anything a reviewer can follow. */
const MAX_REASONABLE_STEPS = 100;

// Prompts that take the human out of the loop.
const NO_CHECKPOINT =
  /\b(?:do\s+not|don'?t|never|must\s+not|no\s+need\s+to)\s+(?:ask|wait|check\s+with\s+the\s+user|stop)\s+(?:the\s+user\s+|the\s+human\s+|anyone\s+)?(?:for\s+)?(?:(?:user|their|his|her|explicit|human)\s+)?(?:confirmation|permission|approval|consent|sign-?off|review)\b|\b(?:run|act|proceed|execute|continue|operate|deploy|delete|send|pay|transfer|push|merge|publish|release|ship|drop|wipe|purge|apply|commit|install|approve|refund|charge)\w*(?:\s+[\w'./:-]{1,40}){0,6}?\s+without\s+(?:ever\s+|first\s+)?(?:asking|waiting|checking|consulting|confirming|confirmation|approval|permission|a\s+review|review|human\s+(?:review|oversight|approval))\b|\b(?:no|without)\s+(?:any\s+)?human\s+(?:in\s+the\s+loop|oversight|review|approval|intervention)\b/gi;

// "Do not ask for permission to read files" and "ask before anything destructive" are scoped.
const SCOPED = /\b(read(?:ing)?|view(?:ing)?|inspect(?:ing)?|list(?:ing)?|search(?:ing)?|look(?:ing)?\s+up|open(?:ing)?|format(?:ting)?|lint(?:ing)?|small|trivial|minor|safe|read-only|except|unless|but\s+(?:always\s+)?ask|destructive)\b/i;

function headSpan(agent: AgentSettings, text: string): Span {
  const lineEnd = text.indexOf('\n', agent.span.start);
  const end = lineEnd < 0 || lineEnd > agent.span.end ? agent.span.end : lineEnd;
  return { start: agent.span.start, end: Math.max(end, agent.span.start + 1) };
}

export const unboundedAutonomy: Rule = {
  meta: {
    id: ID,
    category: 'agent',
    defaultSeverity: 'warning',
    description: 'An agent with no step limit and no human checkpoint, or a prompt that tells it to act without asking for confirmation.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const { document } = context;
    for (const agent of document.agents) {
      if (!agent.autonomous || agent.hasHumanCheckpoint) continue;
      // No limit set matters when the agent can also hand work on or run code; a huge limit always does.
      const huge = agent.maxSteps !== undefined && agent.maxSteps > MAX_REASONABLE_STEPS;
      const unset = agent.maxSteps === undefined && (agent.allowDelegation === true || agent.allowCodeExecution === true);
      if (!huge && !unset) continue;
      const who = agent.name ? `The agent "${agent.name}"` : 'This agent';
      context.report({
        span: headSpan(agent, document.text),
        message:
          agent.maxSteps === undefined
            ? `${who} may delegate or run code, with no step limit (max_iter) and no human checkpoint (human_input); nothing stops a looping or hijacked agent. Set a limit and a point where a person approves.`
            : `${who} may take ${agent.maxSteps} steps with no human checkpoint; a limit that high bounds nothing. Lower it and add a point where a person approves.`,
        data: { maxSteps: agent.maxSteps, agent: agent.name },
      });
    }
    for (const { unit, match, span } of matchUnits(document.units, NO_CHECKPOINT)) {
      if (!unit.instruction) continue;
      const sentence = sentenceAround(unit.text, match.index, match.index + match[0].length).replace(match[0], ' ');
      if (SCOPED.test(sentence)) continue;
      context.report({
        span,
        message: `"${quote(match[0])}" takes the human out of the loop: the agent acts on its own judgement, and a prompt injection acts with it. Keep a confirmation step for actions that change or send things.`,
        data: { phrase: match[0] },
      });
    }
  },
};

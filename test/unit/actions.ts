// Shared by the rule and CLI tests: every finding's message ends with the action to take.

/** A message ends with the action to take: its last sentence starts with an imperative verb. */
export const ACTION =
  /^(Add|Remove|Replace|Retype|Rewrite|Move|Put|Use|Load|Keep|Set|List|Lower|State|Describe|Say|Mark|Declare|Narrow|Restrict|Ask|Delete|Fix|Let|Quote|Fence|Wrap|Split|Name|Check|Review|Turn|Approve|Give)\b/;

export function lastSentence(message: string): string {
  const sentences = message.trim().split(/(?<=[.!?])\s+(?=[A-Z])/);
  return sentences[sentences.length - 1];
}

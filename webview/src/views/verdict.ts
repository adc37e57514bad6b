// The verdict card: probability, category, rules that fired, and the engine's plain-words summary.
import { countBadge, h, tag } from '../dom';
import { percent } from '../format';
import type { View, ViewContext } from '../state';

export function verdictView({ result, copy }: ViewContext): View {
  const { verdict } = result;
  const status = verdict.flagged ? 'Flagged' : 'Below threshold';
  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the verdict as JSON', 'data-testid': 'copy-verdict' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('verdict', verdict));

  const categories = (verdict.categoryScores ?? []).map((entry) => {
    const bar = h('span', { class: 'meter-fill' });
    bar.style.setProperty('--value', String(Math.max(0, Math.min(1, entry.score))));
    return h(
      'li',
      { class: entry.category === verdict.category ? 'category top' : 'category' },
      h('span', { class: 'category-name' }, entry.category),
      h('span', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 1, 'aria-valuenow': entry.score, 'aria-label': `${entry.category} score` }, bar),
      h('span', { class: 'num' }, entry.score.toFixed(2)),
    );
  });

  const rules = verdict.rules.length
    ? h(
        'ul',
        { class: 'rules', 'aria-label': 'Policy rules that fired' },
        ...verdict.rules.map((rule) =>
          h('li', {}, h('span', { class: `severity severity-${rule.severity}` }, rule.severity), h('code', {}, rule.ruleId), h('span', { class: 'rule-message' }, rule.message)),
        ),
      )
    : h('p', { class: 'muted' }, 'No policy rule fired on this text.');

  const element = h(
    'section',
    { class: `card verdict ${verdict.flagged ? 'is-flagged' : 'is-clear'}`, 'aria-labelledby': 'verdict-title', 'data-testid': 'verdict' },
    h('header', { class: 'section-header' }, h('h2', { id: 'verdict-title' }, 'Verdict'), copyButton),
    h(
      'div',
      { class: 'verdict-main' },
      h(
        'div',
        { class: 'probability', 'aria-label': `Probability harmful ${percent(verdict.probability, verdict.threshold)}, threshold ${percent(verdict.threshold)}` },
        h('span', { class: 'probability-value', 'data-testid': 'probability' }, percent(verdict.probability, verdict.threshold)),
        h('span', { class: 'probability-caption' }, `harmful · threshold ${percent(verdict.threshold)}`),
      ),
      h(
        'div',
        { class: 'verdict-badges' },
        h('span', { class: `status ${verdict.flagged ? 'status-flagged' : 'status-clear'}`, 'data-testid': 'verdict-status' }, verdict.flagged ? '⚠ ' : '✓ ', status),
        verdict.category ? tag(verdict.category, { 'data-testid': 'category' }) : null,
        verdict.refusalSuppressed ? h('span', { class: 'status status-suppressed', title: 'The refusal signal falls while harmfulness stays high: a jailbreak-like pattern.' }, '↓ Refusal suppressed') : null,
      ),
    ),
    h('p', { class: 'summary', 'data-testid': 'summary' }, verdict.summary),
    categories.length ? h('ul', { class: 'categories', 'aria-label': 'Category scores' }, ...categories) : null,
    h('h3', {}, 'Rules that fired ', countBadge(verdict.rules.length)),
    rules,
  );
  return { element, update: () => undefined };
}

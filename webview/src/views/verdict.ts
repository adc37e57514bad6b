// The verdict card: plain words first (two sentences), then the probability, the editor's findings
// on the same text, the category (only when it separates), the concepts and the rules that fired.
import { countBadge, h, tag } from '../dom';
import { fixed, percent } from '../format';
import type { View, ViewContext } from '../state';

export function verdictView({ result, copy }: ViewContext): View {
  const { verdict } = result;
  const status = verdict.flagged ? 'Flagged' : 'Not flagged';
  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the verdict as JSON', 'data-testid': 'copy-verdict' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('verdict', { ...verdict, readouts: result.readouts }));

  const scores = verdict.categoryScores ?? [];
  const margin = verdict.categoryMargin;
  const categories = verdict.category
    ? h(
        'ul',
        { class: 'categories', 'aria-label': 'Category scores' },
        ...scores.slice(0, 3).map((entry) => {
          const bar = h('span', { class: 'meter-fill' });
          bar.style.setProperty('--value', String(Math.max(0, Math.min(1, entry.score))));
          return h(
            'li',
            { class: entry.category === verdict.category ? 'category top' : 'category' },
            h('span', { class: 'category-name' }, entry.category),
            h('span', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 1, 'aria-valuenow': entry.score, 'aria-label': `${entry.category} score` }, bar),
            h('span', { class: 'num' }, fixed(entry.score, 2)),
          );
        }),
      )
    : h(
        'p',
        { class: 'muted', 'data-testid': 'no-category' },
        !verdict.flagged
          ? 'No category: the text is not flagged.'
          : scores.length
          ? `No clear category: the closest (${scores[0].category}) beats the next by ${fixed(margin ?? 0, 3)}, under the ${fixed(verdict.categoryBound, 2)} it needs (or under the guard’s floor).`
          : 'The guard file has no categories.',
      );

  const detectorRule = result.readouts[0]?.ruleId ?? 'latent/harmful-request';
  const shown = verdict.diagnostics?.ruleIds ?? [];
  const diagnostics = verdict.diagnostics
    ? h(
        'p',
        { class: 'muted', 'data-testid': 'diagnostics' },
        shown.length ? `The editor shows ${shown.join(', ')} on this text.` : 'The editor shows no latent finding on this text.',
        verdict.flagged && !shown.includes(detectorRule) ? ` The guard flags it, but ${detectorRule} is not shown here yet (still scoring, turned off, or suppressed).` : '',
      )
    : null;

  const concepts = result.readouts.slice(1);
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
    h('p', { class: 'summary', 'data-testid': 'summary' }, verdict.summary),
    h(
      'div',
      { class: 'verdict-main' },
      h(
        'div',
        { class: 'probability', 'aria-label': `Probability of a harmful request ${percent(verdict.probability, verdict.threshold)}, threshold ${percent(verdict.threshold)}` },
        h('span', { class: 'probability-value', 'data-testid': 'probability' }, percent(verdict.probability, verdict.threshold)),
        h('span', { class: 'probability-caption' }, `harmful request · threshold ${percent(verdict.threshold)}`),
      ),
      h(
        'div',
        { class: 'verdict-badges' },
        h('span', { class: `status ${verdict.flagged ? 'status-flagged' : 'status-clear'}`, 'data-testid': 'verdict-status' }, verdict.flagged ? '⚠ ' : '✓ ', status),
        verdict.category ? tag(verdict.category, { 'data-testid': 'category' }) : null,
        verdict.refusalSuppressed ? h('span', { class: 'status status-suppressed', title: 'The refusal signal falls while harmfulness stays high: a jailbreak-like pattern.' }, '↓ Refusal suppressed') : null,
      ),
    ),
    diagnostics,
    h('h3', {}, 'Category'),
    categories,
    concepts.length
      ? h(
          'ul',
          { class: 'concepts', 'aria-label': 'Other concepts the guard reads' },
          ...concepts.map((c) => h('li', {}, h('code', {}, c.ruleId), ` ${percent(c.probability, c.threshold)} (threshold ${percent(c.threshold)})${c.flagged ? ' — flagged' : ''}`)),
        )
      : null,
    h('h3', {}, 'Rules that fired ', countBadge(verdict.rules.length)),
    rules,
  );
  return { element, update: () => undefined };
}

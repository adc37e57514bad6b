// The text, token by token: each token's own detector score (its t_inst probes read at that token),
// coloured by how far its logit lies over or under the threshold's, and the phrase that carried a
// flagged verdict outlined. Colour is never the only cue: span tokens are underlined and each token
// names its figure to a screen reader.
import { cssVars, h } from '../dom';
import { percent, signed, visibleToken } from '../format';
import { listbox } from '../listbox';
import type { Selection, View, ViewContext } from '../state';

export function tokensView({ result, select, copy }: ViewContext): View {
  const { verdict, span } = result;
  const over = (logit: number): number => logit - verdict.thresholdLogit;
  const full = Math.max(...result.tokens.map((t) => Math.abs(over(t.logit))), 1e-6);
  const items = result.tokens.map((token, index) => {
    const inSpan = span !== undefined && index >= span.first && index <= span.last;
    const distance = over(token.logit);
    const item = h(
      'span',
      {
        class: `token ${distance >= 0 ? 'warm' : 'cool'}${inSpan ? ' carrying' : ''}`,
        'data-testid': 'token',
        'data-index': index,
        'aria-label': `${JSON.stringify(token.text)}, own score ${percent(token.probability, verdict.threshold)}${inSpan ? ', in the phrase that carried the verdict' : ''}`,
      },
      visibleToken(token.text),
    );
    cssVars(item, { '--heat': Math.min(1, Math.abs(distance) / full).toFixed(3) });
    return item;
  });
  const text = h('div', { class: 'token-text', 'aria-label': 'Tokens by their own detector score', 'data-testid': 'token-list' }, ...items);
  const box = listbox(text, items, (index) => select({ kind: 'token', index }));

  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the tokens as JSON', 'data-testid': 'copy-tokens' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('tokens', { thresholdLogit: verdict.thresholdLogit, span, tokens: result.tokens }));

  const element = h(
    'section',
    { class: 'card tokens', 'aria-labelledby': 'tokens-title' },
    h('header', { class: 'section-header' }, h('h2', { id: 'tokens-title' }, 'Tokens'), copyButton),
    h(
      'p',
      { class: 'muted legend' },
      'Each token’s own score: the detector as if your text ended there. ',
      h('span', { class: 'legend-sample token warm' }, 'warm'),
      ' = over the threshold (',
      percent(verdict.threshold),
      '), ',
      h('span', { class: 'legend-sample token cool' }, 'cool'),
      ' = under; stronger colour = further from it (',
      signed(full, 1),
      ' logit at most). ',
      h('span', { class: 'legend-sample token carrying' }, 'underlined'),
      span ? ' = the phrase that carried the verdict (the 4-token stretch with the strongest own reading).' : ' = the phrase that carried a flagged verdict (none here).',
      ' Arrow keys move between tokens.',
    ),
    result.window
      ? h(
          'p',
          { class: 'muted' },
          result.window.sentence
            ? `Each sentence of this text was also read alone; the one at characters ${result.window.start}–${result.window.end} carried the score and is shown (read alone, a sentence counts with a lower logit).`
            : `This text was read in ${result.window.count} overlapping windows; window ${result.window.index + 1} (characters ${result.window.start}–${result.window.end}) carried the score and is shown.`,
        )
      : null,
    result.tokens.length ? text : h('p', { class: 'muted' }, 'The engine reported no tokens for this text.'),
  );
  return { element, update: (selection: Selection | undefined) => box.setSelected(selection?.kind === 'token' ? selection.index : undefined) };
}

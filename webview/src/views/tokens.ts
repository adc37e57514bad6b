// The text as a heat map of per-token harm at the readout layer. Colour is never the only cue:
// tokens at or above the threshold are also underlined, and each token names its figure to a
// screen reader.
import { cssVars, h } from '../dom';
import { signed, visibleToken } from '../format';
import { listbox } from '../listbox';
import type { Selection, View, ViewContext } from '../state';

export function tokensView({ result, select, copy }: ViewContext): View {
  // Colour scale: the threshold sits at a quarter of full heat; stronger tokens saturate.
  const full = Math.max(result.layerThreshold * 4, ...result.tokens.map((t) => t.harm), 1e-6);
  const items = result.tokens.map((token, index) => {
    const above = token.harm >= result.layerThreshold;
    const item = h(
      'span',
      {
        class: `token${above ? ' above' : ''}`,
        'data-testid': 'token',
        'data-index': index,
        'aria-label': `${JSON.stringify(token.text)}, harm ${signed(token.harm)}${above ? ', at or above the threshold' : ''}`,
      },
      visibleToken(token.text),
    );
    cssVars(item, { '--heat': Math.max(0, Math.min(1, token.harm / full)).toFixed(3) });
    return item;
  });
  const text = h('div', { class: 'token-text', 'aria-label': `Tokens by harm at layer ${result.readoutLayer}`, 'data-testid': 'token-list' }, ...items);
  const box = listbox(text, items, (index) => select({ kind: 'token', index }));

  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the token heat map as JSON', 'data-testid': 'copy-tokens' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('tokens', { readoutLayer: result.readoutLayer, tokens: result.tokens }));

  const legendScale = h('span', { class: 'legend-scale', 'aria-hidden': 'true' });
  const element = h(
    'section',
    { class: 'card tokens', 'aria-labelledby': 'tokens-title' },
    h('header', { class: 'section-header' }, h('h2', { id: 'tokens-title' }, `Tokens at layer ${result.readoutLayer}`), copyButton),
    h(
      'p',
      { class: 'muted legend' },
      'Harm per token: ',
      h('span', {}, '≤ 0'),
      legendScale,
      h('span', {}, `${signed(full, 2)}`),
      h('span', { class: 'legend-sample token above' }, 'underlined'),
      ` = at or above the threshold (${signed(result.layerThreshold, 2)}). Arrow keys move between tokens.`,
    ),
    result.tokens.length ? text : h('p', { class: 'muted' }, 'The engine reported no tokens for this text.'),
  );
  return { element, update: (selection: Selection | undefined) => box.setSelected(selection?.kind === 'token' ? selection.index : undefined) };
}

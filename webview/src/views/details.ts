// The details pane: what is selected, in figures and in words. It announces changes politely.
import { h, tag } from '../dom';
import { fixed, percent, signed, visibleToken } from '../format';
import type { Selection, View, ViewContext } from '../state';

function row(label: string, value: string | Node): HTMLElement {
  return h('div', { class: 'detail-row' }, h('dt', {}, label), h('dd', {}, value));
}

export function detailsView({ result, copy, reveal }: ViewContext): View {
  const body = h('div', { class: 'details-body' });
  const element = h(
    'aside',
    { class: 'card details', 'aria-labelledby': 'details-title', 'aria-live': 'polite', 'data-testid': 'details' },
    h('header', { class: 'section-header' }, h('h2', { id: 'details-title' }, 'Details')),
    body,
  );

  function copyButton(what: string, value: unknown): HTMLElement {
    const button = h('vscode-button', { appearance: 'secondary', 'aria-label': `Copy this ${what} as JSON`, 'data-testid': 'copy-selection' }, 'Copy JSON');
    button.addEventListener('click', () => copy(what, value));
    return button;
  }

  function update(selection: Selection | undefined): void {
    body.replaceChildren();
    if (selection?.kind === 'token' && result.tokens[selection.index]) {
      const token = result.tokens[selection.index];
      const over = token.probability >= result.verdict.threshold;
      const inSpan = result.span !== undefined && selection.index >= result.span.first && selection.index <= result.span.last;
      const show = h('vscode-button', { 'aria-label': 'Show this token in the editor', 'data-testid': 'reveal-token' }, 'Show in editor');
      show.addEventListener('click', () => reveal(token.start, token.end));
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, 'Token ', h('code', { class: 'token-sample' }, visibleToken(token.text))),
        h(
          'dl',
          {},
          row('Own score', percent(token.probability, result.verdict.threshold)),
          row('Logit', `${signed(token.logit, 2)} (threshold ${signed(result.verdict.thresholdLogit, 2)})`),
          row('Own reading', signed(token.inst, 2)),
          row('Characters', `${token.start}–${token.end}`),
          row('Token', `${selection.index + 1} of ${result.tokens.length}`),
        ),
        h(
          'p',
          { class: 'explain' },
          `${over ? 'Over' : 'Under'} the threshold had the text ended here. “Own reading” is what the probes at the end of your text read at this token.${inSpan ? ' Part of the phrase that carried the verdict.' : ''}`,
        ),
        h('div', { class: 'actions' }, result.uri ? show : null, copyButton('token', token)),
      );
    } else if (selection?.kind === 'neuron' && result.neurons[selection.index]) {
      const neuron = result.neurons[selection.index];
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, `Neuron L${neuron.layer} · #${neuron.index}`, neuron.gate ? ' ' : '', neuron.gate ? tag('gate') : null),
        h('dl', {}, row('Layer', String(neuron.layer)), row('Index', String(neuron.index)), row('Activation', fixed(neuron.activation, 3)), row('Effect', signed(neuron.contribution, 4))),
        h(
          'p',
          { class: 'explain' },
          neuron.gate
            ? 'A gate: ablating the top neurons with it flipped the verdict.'
            : `An MLP neuron in layer ${neuron.layer}: its output ${neuron.contribution >= 0 ? 'pushes the detector toward' : 'pulls the detector away from'} harmful (direct path).`,
        ),
        h('div', { class: 'actions' }, copyButton('neuron', neuron)),
      );
    } else if (selection?.kind === 'layer') {
      const layer = result.layers.find((l) => l.layer === selection.layer);
      if (!layer) return;
      const mlpLeads = Math.abs(layer.mlp) >= Math.abs(layer.attention);
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, `Layer ${layer.layer}`, layer.read ? ' (read by the detector)' : ''),
        h(
          'dl',
          {},
          row('Adds to the logit', layer.read ? signed(layer.contribution, 3) : 'not read'),
          layer.inst !== undefined ? row('…end of your text', signed(layer.inst, 3)) : null,
          layer.postInst !== undefined ? row('…end of the prompt', signed(layer.postInst, 3)) : null,
          row('Attention (direct)', signed(layer.attention, 3)),
          row('MLP (direct)', signed(layer.mlp, 3)),
          row('Raw harm*', signed(layer.harm, 3)),
          row('Raw refusal*', signed(layer.refusal, 2)),
        ),
        h(
          'p',
          { class: 'explain' },
          `${layer.read ? (layer.contribution > 0 ? 'Pushes the score toward harmful. ' : 'Pulls the score away from harmful. ') : 'The detector does not read this layer. '}Its ${mlpLeads ? 'MLP' : 'attention'} block writes more onto the probes (direct path, not causal). * raw directions, secondary.`,
        ),
        h('div', { class: 'actions' }, copyButton('layer', layer)),
      );
    } else {
      body.append(h('p', { class: 'muted', 'data-testid': 'detail-empty' }, 'Select a token, a layer or a neuron to see its figures here.'));
    }
  }
  return { element, update };
}

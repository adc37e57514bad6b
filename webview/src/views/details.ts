// The details pane: what is selected, in figures and in words. It announces changes politely.
import { h, tag } from '../dom';
import { fixed, signed, visibleToken } from '../format';
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
      const above = token.harm >= result.layerThreshold;
      const show = h('vscode-button', { 'aria-label': 'Show this token in the editor', 'data-testid': 'reveal-token' }, 'Show in editor');
      show.addEventListener('click', () => reveal(token.start, token.end));
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, 'Token ', h('code', { class: 'token-sample' }, visibleToken(token.text))),
        h(
          'dl',
          {},
          row('Harm at layer ' + result.readoutLayer, signed(token.harm)),
          row('Threshold', signed(result.layerThreshold)),
          row('Characters', `${token.start}–${token.end}`),
          row('Token', `${selection.index + 1} of ${result.tokens.length}`),
        ),
        h('p', { class: 'explain' }, above ? 'At or above the threshold: the model reads harmful intent at this token.' : 'Under the threshold: this token does not carry the harmful reading.'),
        h('div', { class: 'actions' }, result.uri ? show : null, copyButton('token', token)),
      );
    } else if (selection?.kind === 'neuron' && result.neurons[selection.index]) {
      const neuron = result.neurons[selection.index];
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, `Neuron L${neuron.layer} · #${neuron.index}`, neuron.gate ? ' ' : '', neuron.gate ? tag('gate') : null),
        h('dl', {}, row('Layer', String(neuron.layer)), row('Index', String(neuron.index)), row('Activation', fixed(neuron.activation, 3)), row('Contribution', signed(neuron.contribution, 4))),
        h(
          'p',
          { class: 'explain' },
          neuron.gate
            ? 'A last-layer gate: one of the few neurons at the top of the model that decide whether the harmful reading goes through.'
            : `An MLP neuron in layer ${neuron.layer}: its output ${neuron.contribution >= 0 ? 'pushes toward' : 'pulls away from'} the harmfulness direction read at the next layer.`,
        ),
        h('div', { class: 'actions' }, copyButton('neuron', neuron)),
      );
    } else if (selection?.kind === 'layer') {
      const layer = result.layers.find((l) => l.layer === selection.layer);
      if (!layer) return;
      const above = layer.harm >= result.layerThreshold;
      const mlpLeads = Math.abs(layer.mlpContribution) >= Math.abs(layer.attentionContribution);
      body.append(
        h('h3', { 'data-testid': 'detail-title' }, `Layer ${layer.layer}`, layer.layer === result.readoutLayer ? ' (readout)' : ''),
        h(
          'dl',
          {},
          row('Harm (t_inst)', `${signed(layer.harm)}${above ? ' ▲' : ''}`),
          row('Refusal (t_post-inst)', signed(layer.refusal, 2)),
          row('Attention Δ', signed(layer.attentionContribution)),
          row('MLP Δ', signed(layer.mlpContribution)),
          row('Detector weight', layer.weight > 0 ? fixed(layer.weight, 3) : 'not used'),
        ),
        h(
          'p',
          { class: 'explain' },
          `${above ? 'At or above' : 'Under'} the threshold here; the ${mlpLeads ? 'MLP block' : 'attention block'} moved the harmfulness signal more in this layer.`,
        ),
        h('div', { class: 'actions' }, copyButton('layer', layer)),
      );
    } else {
      body.append(h('p', { class: 'muted', 'data-testid': 'detail-empty' }, 'Select a token, a layer or a neuron to see its figures here.'));
    }
  }
  return { element, update };
}

// The top MLP neurons in the layers the detector reads, by their direct-path effect on its logit;
// "gate" only where ablating them was measured to flip the verdict.
import { countBadge, cssVars, h, tag } from '../dom';
import { fixed, signed } from '../format';
import { listbox } from '../listbox';
import type { Selection, View, ViewContext } from '../state';

export function neuronsView({ result, select, copy }: ViewContext): View {
  const extent = Math.max(...result.neurons.map((n) => Math.abs(n.contribution)), 1e-9);
  const items = result.neurons.map((neuron, index) => {
    const bar = h('span', { class: `diverging-fill ${neuron.contribution < 0 ? 'negative' : 'positive'}` });
    cssVars(bar, { '--value': Math.abs(neuron.contribution) / extent });
    return h(
      'div',
      {
        class: `neuron${neuron.gate ? ' gate' : ''}`,
        'data-testid': 'neuron',
        'data-index': index,
        'aria-label': `Layer ${neuron.layer} neuron ${neuron.index}${neuron.gate ? ', a gate' : ''}, activation ${fixed(neuron.activation, 2)}, effect ${signed(neuron.contribution, 3)}`,
      },
      h('span', { class: 'neuron-id' }, `L${neuron.layer} · #${neuron.index}`),
      h('span', { class: 'neuron-gate' }, neuron.gate ? tag('gate') : ''),
      h('span', { class: 'num' }, fixed(neuron.activation, 2)),
      h('span', { class: 'diverging', 'aria-hidden': 'true' }, bar),
      h('span', { class: 'num' }, signed(neuron.contribution, 3)),
    );
  });
  const list = h('div', { class: 'neuron-list', 'aria-label': 'Top neurons by effect on the detector', 'data-testid': 'neuron-list' }, ...items);
  const box = listbox(list, items, (index) => select({ kind: 'neuron', index }));

  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the top neurons as JSON', 'data-testid': 'copy-neurons' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('neurons', result.neurons));

  const element = h(
    'section',
    { class: 'card neurons', 'aria-labelledby': 'neurons-title' },
    h('header', { class: 'section-header' }, h('h2', { id: 'neurons-title' }, 'Top neurons ', countBadge(result.neurons.length)), copyButton),
    result.neurons.length
      ? h('p', { class: 'muted' }, `Neurons of the MLP blocks in layers 1–${result.model.layers}, ranked by direct effect = activation × how far the neuron’s output points along the probes above it (logit units). A “gate” is marked only where ablating it flipped the verdict.`)
      : null,
    result.mediation?.neurons.length
      ? h(
          'ul',
          { class: 'checks', 'data-testid': 'neuron-checks' },
          ...result.mediation.neurons.map((check) =>
            h('li', {}, `Ablating the top ${check.k} together moves the logit by ${signed(check.delta, 2)} (their direct effects sum to ${signed(check.direct, 2)}): ${check.flips ? 'the verdict flips' : 'the verdict stands'}.`),
          ),
        )
      : null,
    result.neurons.length
      ? h(
          'div',
          { class: 'neuron neuron-head', 'aria-hidden': 'true' },
          h('span', {}, 'Neuron'),
          h('span', {}, ''),
          h('span', { class: 'num' }, 'Activation'),
          h('span', {}, ''),
          h('span', { class: 'num' }, 'Effect'),
        )
      : null,
    result.neurons.length
      ? list
      : h('p', { class: 'muted', 'data-testid': 'no-neurons' }, 'Not measured: this build has no mediation graph (models/build_mediation.py), and the panel shows no neuron it cannot tie to the detector.'),
  );
  return { element, update: (selection: Selection | undefined) => box.setSelected(selection?.kind === 'neuron' ? selection.index : undefined) };
}

// Per layer: the two signals, the attention-vs-MLP split, and the full table (30 rows). Selecting a
// layer anywhere (chart column, table row) highlights it everywhere and shows its details.
import type { ExplainResult } from '@protocol/explain';
import { countBadge, h } from '../dom';
import { fixed, signed } from '../format';
import type { Selection, View, ViewContext } from '../state';
import { modulesChart, signalsChart } from './charts';

function describeSignals(result: ExplainResult): string {
  const above = result.layers.filter((l) => l.harm >= result.layerThreshold).map((l) => l.layer);
  const last = result.layers[result.layers.length - 1];
  const harm = above.length
    ? `Harmfulness is at or above the threshold (${signed(result.layerThreshold, 2)}) at ${above.length} of ${result.layers.length} layers, from layer ${above[0]}.`
    : `Harmfulness stays under the threshold (${signed(result.layerThreshold, 2)}) at every layer.`;
  return `${harm} Refusal at the last layer: ${fixed(last.refusal, 2)}.`;
}

function describeModules(result: ExplainResult): string {
  const rows = result.layers.map((l) => `layer ${l.layer}: attention ${signed(l.attentionContribution)}, MLP ${signed(l.mlpContribution)}`);
  return `Per-layer movement of the harmfulness signal. ${rows.join('; ')}.`;
}

// Short headers so six columns fit a side-by-side editor column; the full names are their titles.
const COLUMNS: [string, string][] = [
  ['Layer', 'Layer'],
  ['Harm', 'Harmfulness at t_inst'],
  ['Refusal', 'Refusal at t_post-inst (z)'],
  ['Attn Δ', 'How much the attention block moved the harmfulness signal'],
  ['MLP Δ', 'How much the MLP block moved the harmfulness signal'],
  ['Weight', 'The detector’s weight for this layer'],
];

function layerTable(result: ExplainResult, select: ViewContext['select']): { grid: HTMLElement; rows: HTMLElement[] } {
  const grid = h('vscode-data-grid', { 'grid-template-columns': '60px minmax(0, 1.25fr) repeat(4, minmax(0, 1fr))', 'aria-label': 'Figures for every layer', 'data-testid': 'layer-table' });
  grid.append(
    h(
      'vscode-data-grid-row',
      { 'row-type': 'header' },
      ...COLUMNS.map(([label, title], i) => h('vscode-data-grid-cell', { 'cell-type': 'columnheader', 'grid-column': i + 1, title, 'aria-label': title }, label)),
    ),
  );
  const rows = result.layers.map((layer) => {
    const above = layer.harm >= result.layerThreshold;
    const cells = [
      String(layer.layer) + (layer.layer === result.readoutLayer ? ' ◆' : ''),
      `${signed(layer.harm)}${above ? ' ▲' : ''}`,
      signed(layer.refusal, 2),
      signed(layer.attentionContribution),
      signed(layer.mlpContribution),
      layer.weight > 0 ? fixed(layer.weight, 3) : '—',
    ];
    const row = h(
      'vscode-data-grid-row',
      { 'data-testid': 'layer-row', 'data-layer': layer.layer, class: above ? 'above-threshold' : undefined, 'aria-selected': 'false' },
      ...cells.map((text, i) => h('vscode-data-grid-cell', { 'grid-column': i + 1, class: i === 1 && above ? 'harm-above' : undefined }, text)),
    );
    row.addEventListener('click', () => select({ kind: 'layer', layer: layer.layer }));
    // Arrow keys move focus between the grid's cells; the focused row becomes the selection.
    row.addEventListener('focusin', () => select({ kind: 'layer', layer: layer.layer }));
    return row;
  });
  grid.append(...rows);
  return { grid, rows };
}

export function layersView({ result, select, copy }: ViewContext): View {
  const signals = signalsChart(result, describeSignals(result));
  const modules = modulesChart(result, describeModules(result));
  for (const chart of [signals, modules]) {
    chart.addEventListener('click', (event) => {
      const layer = (event.target as Element).getAttribute('data-layer');
      if (layer !== null) select({ kind: 'layer', layer: Number(layer) });
    });
  }
  const { grid, rows } = layerTable(result, select);

  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the per-layer figures as JSON', 'data-testid': 'copy-layers' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('layers', { layerThreshold: result.layerThreshold, readoutLayer: result.readoutLayer, layers: result.layers }));

  const panels = h(
    'vscode-panels',
    { 'aria-label': 'Layer details' },
    h('vscode-panel-tab', { id: 'tab-table' }, 'All layers'),
    h('vscode-panel-tab', { id: 'tab-how' }, 'How to read this'),
    h('vscode-panel-view', { id: 'view-table' }, grid),
    h(
      'vscode-panel-view',
      { id: 'view-how' },
      h(
        'div',
        { class: 'how-to-read' },
        h('p', {}, 'Harmfulness and refusal are separate directions in the model. Harmfulness is read at t_inst, the last token of your text; refusal at t_post-inst, the last token of the whole chat prompt.'),
        h('p', {}, 'Early layers put the request in context; the harmfulness signal then travels up through the MLP blocks (orange, right bar) much more than through attention (left bar), and a few last-layer neurons act as gates.'),
        h('p', {}, 'A jailbreak often leaves harmfulness high while refusal falls away in the last layers: that gap is what “refusal suppressed” means.'),
        h('p', {}, '▲ marks a layer at or above the threshold; ◆ the readout layer used for the token heat map; the shaded band, the layers the detector averages.'),
      ),
    ),
  );

  const element = h(
    'section',
    { class: 'card layers', 'aria-labelledby': 'layers-title' },
    h('header', { class: 'section-header' }, h('h2', { id: 'layers-title' }, `Layers `, countBadge(result.layers.length, { 'data-testid': 'layer-count' })), copyButton),
    h('p', { class: 'muted' }, 'Click a layer on a chart, or move through the table with the arrow keys.'),
    h('figure', { class: 'figure' }, signals),
    h('figure', { class: 'figure' }, modules),
    panels,
  );

  function update(selection: Selection | undefined): void {
    const layer = selection?.kind === 'layer' ? selection.layer : undefined;
    element.querySelectorAll('.layer-highlight').forEach((mark) => mark.classList.toggle('selected', Number(mark.getAttribute('data-layer')) === layer));
    for (const row of rows) {
      const selected = Number(row.getAttribute('data-layer')) === layer;
      row.classList.toggle('selected', selected);
      row.setAttribute('aria-selected', String(selected));
    }
  }
  return { element, update };
}

// Per layer: what the detector's probes add to its score at each read layer (the primary view), the
// attention-vs-MLP direct path, the raw harmfulness/refusal directions as a labelled secondary
// view, and the table. Selecting a layer anywhere highlights it everywhere and shows its details.
import type { ExplainMediation, ExplainResult } from '@protocol/explain';
import { countBadge, h } from '../dom';
import { fixed, signed } from '../format';
import type { Selection, View, ViewContext } from '../state';
import { contributionsChart, cumulativeChart, mediationChart, modulesChart, signalsChart } from './charts';

function sum(parts: ExplainMediation['effects'], key?: 'attention' | 'mlp'): number {
  return parts.reduce((total, e) => total + (key ? e[key] : e.attention + e.mlp), 0);
}

function describeContributions(result: ExplainResult): string {
  const rows = result.layers.filter((l) => l.read).map((l) => `layer ${l.layer}: ${signed(l.contribution, 2)} (end of your text ${l.inst === undefined ? 'not read' : signed(l.inst, 2)}, end of the prompt ${l.postInst === undefined ? 'not read' : signed(l.postInst, 2)})`);
  return `What each read layer adds to the detector's logit. ${rows.join('; ')}.`;
}

function describeModules(result: ExplainResult): string {
  const rows = result.layers.map((l) => `layer ${l.layer}: attention ${signed(l.attention, 2)}, MLP ${signed(l.mlp, 2)}`);
  return `Direct-path attribution to the detector's logit (linear, not causal). ${rows.join('; ')}.`;
}

function describeMediation(result: ExplainResult): string {
  const rows = (result.mediation?.effects ?? []).map((e) => `layer ${e.layer}: attention ${signed(e.attention, 2)}, MLP ${signed(e.mlp, 2)}`);
  return `Measured by mean-ablation, one block at a time: the fall in the detector's logit without that block alone. ${rows.join('; ')}.`;
}

function describeCumulative(result: ExplainResult): string {
  const rows = (result.mediation?.cumulative ?? []).map((e) => `layer ${e.layer}: attention ${signed(e.attention, 2)}, MLP ${signed(e.mlp, 2)}`);
  return `Measured by mean-ablation, blocks removed one by one in layer order and in reverse order: the further fall in the detector's logit as each block joins the ones before it, the two orders averaged; these sum to the total. ${rows.join('; ')}.`;
}

/** The measured section: the additive (cumulative) decomposition first, then the single effects for comparison. */
function mediationSection(mediation: ExplainMediation, cumulative: SVGSVGElement, single: SVGSVGElement): HTMLElement {
  const singles = sum(mediation.effects);
  const ratio = singles / (mediation.total || 1);
  return h(
    'div',
    { 'data-testid': 'mediation' },
    h(
      'p',
      { class: 'muted', 'data-testid': 'mediation-method' },
      `Drawn first: the cumulative path — blocks replaced by their average on benign text (mean-ablation) one after another, once in layer order (attention then MLP of layer 1, then layer 2, …) and once in reverse order (from the MLP of the last layer down); each bar is the further fall in the detector’s logit (${signed(mediation.logit, 2)}) as that block is added, averaged over the two orders. Either order alone credits the blocks removed first with what the others would otherwise carry; the average does not favour early or late layers.`,
    ),
    h(
      'p',
      { class: 'muted', 'data-testid': 'mediation-sum' },
      `These add up to the total by construction: MLP blocks ${signed(sum(mediation.cumulative, 'mlp'), 2)} + attention ${signed(sum(mediation.cumulative, 'attention'), 2)} = ${signed(sum(mediation.cumulative), 2)}, the fall with every block removed at once (${signed(mediation.total, 2)}). Share through MLP blocks: layer order ${Math.round(mediation.mlpShareForward * 100)} %, reverse ${Math.round(mediation.mlpShareReverse * 100)} %, average ${Math.round(mediation.mlpShare * 100)} %.`,
    ),
    h('figure', { class: 'figure' }, cumulative),
    h(
      'p',
      { class: 'muted' },
      `Each block alone (what removing only that block does): ${Math.round(mediation.singleMlpShare * 100)} % of the |effect| goes through MLP blocks. The single effects sum to ${signed(singles, 1)}; removing every block at once moves it by ${signed(mediation.total, 1)} (${fixed(ratio, 1)}×: ${Math.abs(ratio - 1) <= 0.2 ? 'close to additive' : 'the effects overlap and do not simply add'}).`,
    ),
    h('figure', { class: 'figure' }, single),
  );
}

function describeSignals(result: ExplainResult): string {
  const rows = result.layers.map((l) => `layer ${l.layer}: harm ${signed(l.harm, 3)}, refusal ${signed(l.refusal, 2)}`);
  return `Secondary view, not read by the detector. ${rows.join('; ')}.`;
}

// Short headers so the columns fit a side-by-side editor column; the full names are their titles.
const COLUMNS: [string, string][] = [
  ['Layer', 'Layer (● = read by the detector)'],
  ['Adds', 'What the probes at this layer add to the detector’s logit'],
  ['Attn', 'Attention block’s direct write onto the probes (logit units, linear)'],
  ['MLP', 'MLP block’s direct write onto the probes (logit units, linear)'],
  ['Harm*', 'Secondary: raw harmfulness direction at the end of your text (not read by the detector)'],
  ['Refusal*', 'Secondary: raw refusal direction at the end of the prompt, z (not read by the detector)'],
];

function layerTable(result: ExplainResult, select: ViewContext['select']): { grid: HTMLElement; rows: HTMLElement[] } {
  const grid = h('vscode-data-grid', { 'grid-template-columns': '52px repeat(5, minmax(0, 1fr))', 'aria-label': 'Figures for every layer', 'data-testid': 'layer-table' });
  grid.append(
    h(
      'vscode-data-grid-row',
      { 'row-type': 'header' },
      ...COLUMNS.map(([label, title], i) => h('vscode-data-grid-cell', { 'cell-type': 'columnheader', 'grid-column': i + 1, title, 'aria-label': title }, label)),
    ),
  );
  const rows = result.layers.map((layer) => {
    const cells = [`${layer.layer}${layer.read ? ' ●' : ''}`, layer.read ? signed(layer.contribution, 2) : '—', signed(layer.attention, 2), signed(layer.mlp, 2), signed(layer.harm, 3), signed(layer.refusal, 2)];
    const row = h(
      'vscode-data-grid-row',
      { 'data-testid': 'layer-row', 'data-layer': layer.layer, class: layer.read ? 'read' : undefined, 'aria-selected': 'false' },
      ...cells.map((text, i) => h('vscode-data-grid-cell', { 'grid-column': i + 1, class: i === 1 && layer.read && layer.contribution > 0 ? 'pushes' : undefined }, text)),
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
  const contributions = contributionsChart(result, describeContributions(result));
  const modules = modulesChart(result, describeModules(result));
  const signals = signalsChart(result, describeSignals(result));
  const mediation = result.mediation;
  const measured = mediation ? mediationChart(result, describeMediation(result)) : undefined;
  const additive = mediation ? cumulativeChart(result, describeCumulative(result)) : undefined;
  for (const chart of [contributions, modules, signals, additive, measured]) {
    if (!chart) continue;
    chart.addEventListener('click', (event) => {
      const layer = (event.target as Element).getAttribute('data-layer');
      if (layer !== null) select({ kind: 'layer', layer: Number(layer) });
    });
  }
  const { grid, rows } = layerTable(result, select);
  const read = result.layers.filter((l) => l.read).map((l) => l.layer);

  const copyButton = h('vscode-button', { appearance: 'secondary', 'aria-label': 'Copy the per-layer figures as JSON', 'data-testid': 'copy-layers' }, 'Copy JSON');
  copyButton.addEventListener('click', () => copy('layers', { readouts: result.readouts, embedding: result.embedding, layers: result.layers }));

  const panels = h(
    'vscode-panels',
    { 'aria-label': 'Layer details' },
    h('vscode-panel-tab', { id: 'tab-table' }, 'All layers'),
    h('vscode-panel-tab', { id: 'tab-raw' }, 'Raw directions (secondary)'),
    h('vscode-panel-tab', { id: 'tab-how' }, 'How to read this'),
    h('vscode-panel-view', { id: 'view-table' }, grid),
    h(
      'vscode-panel-view',
      { id: 'view-raw' },
      h(
        'div',
        { class: 'panel-body' },
        h('p', { class: 'muted' }, 'Secondary view: the harmfulness and refusal directions of the underlying study, at every layer. The detector does not read these; they are here for comparison.'),
        h('figure', { class: 'figure' }, signals),
      ),
    ),
    h(
      'vscode-panel-view',
      { id: 'view-how' },
      h(
        'div',
        { class: 'how-to-read' },
        h('p', {}, 'The detector is a few probes: each is a direction in the model’s hidden state at one layer, read at one position. “End of your text” (t_inst) is the last token of what you wrote; “end of the prompt” (t_post-inst) is the last token of the whole chat prompt, just before the model would answer.'),
        h('p', {}, 'Its score (the logit) is a bias plus what each probe reads; a calibration turns the logit into the probability shown. A bar above zero pushes toward harmful.'),
        h('p', {}, `● marks the layers it reads (${read.join(', ') || 'none'}). Only layers 1–${result.model.layers} are computed: ${result.model.why}.`),
        h('p', {}, '* Harm and Refusal are the raw directions (secondary view), not the detector.'),
      ),
    ),
  );

  const element = h(
    'section',
    { class: 'card layers', 'aria-labelledby': 'layers-title' },
    h('header', { class: 'section-header' }, h('h2', { id: 'layers-title' }, 'Layers ', countBadge(result.layers.length, { 'data-testid': 'layer-count' })), copyButton),
    h('p', { class: 'muted' }, `What each layer the detector reads (${read.join(', ') || 'none'}) adds to its score. Click a layer on a chart, or move through the table with the arrow keys.`),
    h('figure', { class: 'figure' }, contributions),
    h('h3', {}, 'Attention vs MLP'),
    mediation && measured && additive
      ? mediationSection(mediation, additive, measured)
      : h('p', { class: 'muted', 'data-testid': 'no-mediation' }, 'Not measured: this build has no mediation graph (models/build_mediation.py); below is the linear direct path only.'),
    h('p', { class: 'muted' }, 'Direct path (linear, not causal): each block’s output projected on the probes it feeds. It adds up exactly to the score with the embedding’s share, but says what each block wrote, not what would change without it.'),
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

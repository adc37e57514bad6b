// Hand-drawn SVG charts. Why no chart library: the webview's CSP forbids inline styles and eval
// (most chart libraries need one or the other), the figures are small and fixed (at most 30 layers,
// two bars each), and plain SVG takes the VS Code theme straight from CSS variables, so light, dark
// and high-contrast themes need no extra code.
import type { ExplainLayer, ExplainResult } from '@protocol/explain';
import { s } from '../dom';
import { fixed, signed } from '../format';

export const WIDTH = 560;
const LEFT = 56;
const RIGHT = 12;

/** The x layout shared by the charts, so a layer's column lines up from one chart to the next. */
export function columns(count: number) {
  const band = (WIDTH - LEFT - RIGHT) / count;
  return { band, left: (i: number) => LEFT + band * i, centre: (i: number) => LEFT + band * (i + 0.5) };
}

function scale(min: number, max: number, top: number, bottom: number) {
  const span = max - min || 1;
  return (value: number) => bottom - ((value - min) / span) * (bottom - top);
}

function axisLabel(x: number, y: number, text: string, anchor = 'end', extra = ''): SVGElement {
  return s('text', { x, y, 'text-anchor': anchor, class: `axis-label ${extra}`.trim() }, text);
}

function xAxis(layers: ExplainLayer[], y: number, cols: ReturnType<typeof columns>, every = 2): SVGElement {
  const group = s('g', { class: 'x-axis', 'aria-hidden': 'true' });
  layers.forEach((layer, i) => {
    if (layer.read || layer.layer % every === 0 || i === layers.length - 1) group.append(axisLabel(cols.centre(i), y, String(layer.layer), 'middle', layer.read ? 'read-layer' : ''));
  });
  group.append(axisLabel(LEFT - 6, y, 'layer', 'end'));
  return group;
}

/** Transparent full-height columns: click a layer anywhere on a chart to select it. */
function hitColumns(layers: ExplainLayer[], top: number, bottom: number, cols: ReturnType<typeof columns>): SVGElement {
  const group = s('g', { class: 'hit-columns' });
  layers.forEach((layer, i) => {
    group.append(s('rect', { x: cols.left(i), y: top, width: cols.band, height: bottom - top, class: 'hit', 'data-layer': layer.layer }, s('title', {}, `Layer ${layer.layer}`)));
  });
  return group;
}

function highlight(layers: ExplainLayer[], top: number, bottom: number, cols: ReturnType<typeof columns>): SVGElement {
  const group = s('g', { class: 'layer-highlights', 'aria-hidden': 'true' });
  layers.forEach((layer, i) => {
    group.append(s('rect', { x: cols.left(i), y: top, width: cols.band, height: bottom - top, class: 'layer-highlight', 'data-layer': layer.layer }));
  });
  return group;
}

interface Series {
  value: (layer: ExplainLayer) => number | undefined;
  label: string;
  cls: string;
}

/** Two bars per layer on a shared zero line (left and right), with a legend of what is drawn. */
function pairedBars(
  result: ExplainResult,
  options: { id: string; title: string; description: string; left: Series; right: Series; onlyRead: boolean },
): SVGSVGElement {
  const { layers } = result;
  const cols = columns(layers.length);
  const top = 30;
  const bottom = 170;
  const height = 200;
  const extent = Math.max(...layers.flatMap((l) => [Math.abs(options.left.value(l) ?? 0), Math.abs(options.right.value(l) ?? 0)]), 1e-6) * 1.1;
  const y = scale(-extent, extent, top, bottom);
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: `chart ${options.id}`, role: 'img', 'aria-labelledby': `${options.id}-title ${options.id}-desc`, 'data-testid': options.id }) as SVGSVGElement;
  svg.append(s('title', { id: `${options.id}-title` }, options.title), s('desc', { id: `${options.id}-desc` }, options.description));
  svg.append(highlight(layers, top - 8, bottom, cols));
  svg.append(axisLabel(LEFT - 6, y(extent) + 4, signed(extent, 1)));
  svg.append(axisLabel(LEFT - 6, y(0) + 4, '0'));
  svg.append(axisLabel(LEFT - 6, y(-extent) + 4, signed(-extent, 1)));
  // Legend: what is drawn, and position (left/right) as well as colour.
  svg.append(s('rect', { x: LEFT, y: 6, width: 12, height: 10, class: `bar ${options.left.cls}` }));
  svg.append(s('text', { x: LEFT + 16, y: 15, class: 'legend-label' }, `${options.left.label} (left)`));
  svg.append(s('rect', { x: LEFT + 200, y: 6, width: 12, height: 10, class: `bar ${options.right.cls}` }));
  svg.append(s('text', { x: LEFT + 216, y: 15, class: 'legend-label' }, `${options.right.label} (right)`));
  svg.append(s('text', { x: WIDTH - RIGHT, y: 15, 'text-anchor': 'end', class: 'legend-label' }, '↑ harmful'));
  const barWidth = Math.max(2, cols.band * 0.38);
  layers.forEach((l, i) => {
    if (options.onlyRead && !l.read) return;
    const x = cols.centre(i);
    for (const [series, offset] of [
      [options.left, -barWidth - 0.5],
      [options.right, 0.5],
    ] as const) {
      const v = series.value(l);
      const cls = series.cls;
      if (v === undefined) continue;
      const y0 = y(0);
      const y1 = y(v);
      svg.append(s('rect', { x: x + offset, y: Math.min(y0, y1), width: barWidth, height: Math.max(1, Math.abs(y1 - y0)), class: `bar ${cls}${v < 0 ? ' negative' : ''}`, 'data-layer': l.layer }));
    }
  });
  svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0), class: 'zero-line' }));
  svg.append(xAxis(layers, height - 8, cols));
  svg.append(hitColumns(layers, top - 8, bottom, cols));
  return svg;
}

/** What each read layer's probes add to the detector's logit, at t_inst (left) and t_post-inst (right). */
export function contributionsChart(result: ExplainResult, description: string): SVGSVGElement {
  return pairedBars(result, {
    id: 'contributions-chart',
    title: 'What each read layer adds to the detector’s score (logit), by read position',
    description,
    left: { value: (l) => l.inst, label: 'end of text', cls: 'inst' },
    right: { value: (l) => l.postInst, label: 'end of prompt', cls: 'post' },
    onlyRead: true,
  });
}

/** Direct-path attribution of each block's attention and MLP output to the detector's logit. */
export function modulesChart(result: ExplainResult, description: string): SVGSVGElement {
  return pairedBars(result, {
    id: 'modules-chart',
    title: 'Attention vs MLP: what each block writes onto the detector’s probes (direct path, logit units)',
    description,
    left: { value: (l) => l.attention, label: 'attention', cls: 'attention' },
    right: { value: (l) => l.mlp, label: 'MLP', cls: 'mlp' },
    onlyRead: false,
  });
}

/** Measured: how much the detector's logit falls when each block's attention or MLP output is mean-ablated alone. */
export function mediationChart(result: ExplainResult, description: string): SVGSVGElement {
  const effect = new Map((result.mediation?.effects ?? []).map((e) => [e.layer, e]));
  return pairedBars(result, {
    id: 'mediation-chart',
    title: 'Attention vs MLP, measured one block at a time: the fall in the detector’s logit when only that block is mean-ablated',
    description,
    left: { value: (l) => effect.get(l.layer)?.attention, label: 'attention', cls: 'attention' },
    right: { value: (l) => effect.get(l.layer)?.mlp, label: 'MLP', cls: 'mlp' },
    onlyRead: false,
  });
}

/** Measured, additive: the cumulative path, blocks mean-ablated in layer order and in reverse order; each bar is the further fall when that block joins the ones before it, the two orders averaged. */
export function cumulativeChart(result: ExplainResult, description: string): SVGSVGElement {
  const effect = new Map((result.mediation?.cumulative ?? []).map((e) => [e.layer, e]));
  return pairedBars(result, {
    id: 'cumulative-chart',
    title: 'Attention vs MLP, measured and additive: the further fall in the detector’s logit as blocks are mean-ablated one by one, averaged over layer order and reverse order',
    description,
    left: { value: (l) => effect.get(l.layer)?.attention, label: 'attention', cls: 'attention' },
    right: { value: (l) => effect.get(l.layer)?.mlp, label: 'MLP', cls: 'mlp' },
    onlyRead: false,
  });
}

function polyline(points: [number, number][], className: string): SVGElement {
  return s('polyline', { points: points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: className });
}

/** Secondary: the raw harmfulness and refusal directions by layer (not what the detector reads). */
export function signalsChart(result: ExplainResult, description: string): SVGSVGElement {
  const { layers } = result;
  const cols = columns(layers.length);
  const lanes = [
    { key: 'harm' as const, title: 'Raw harmfulness direction (end of your text)', cls: 'harm', top: 26, bottom: 116, digits: 2 },
    { key: 'refusal' as const, title: 'Raw refusal direction (end of the prompt, z)', cls: 'refusal', top: 150, bottom: 240, digits: 1 },
  ];
  const height = 268;
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart signals-chart', role: 'img', 'aria-labelledby': 'signals-title signals-desc', 'data-testid': 'signals-chart' }) as SVGSVGElement;
  svg.append(s('title', { id: 'signals-title' }, 'Secondary view: raw harmfulness and refusal directions by layer'), s('desc', { id: 'signals-desc' }, description));
  svg.append(highlight(layers, 18, 240, cols));
  for (const lane of lanes) {
    const values = layers.map((l) => l[lane.key]);
    const min = Math.min(0, ...values);
    const max = Math.max(0, ...values);
    const pad = (max - min || 1) * 0.08;
    const y = scale(min - pad, max + pad, lane.top, lane.bottom);
    svg.append(s('text', { x: LEFT, y: lane.top - 8, class: `lane-title ${lane.cls}-text` }, lane.title));
    svg.append(axisLabel(LEFT - 6, y(max) + 4, fixed(max, lane.digits)));
    svg.append(axisLabel(LEFT - 6, y(min) + 4, fixed(min, lane.digits)));
    svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0), class: 'zero-line' }));
    svg.append(polyline(layers.map((l, i) => [cols.centre(i), y(l[lane.key])]), `series ${lane.cls}-line`));
    layers.forEach((l, i) => svg.append(s('circle', { cx: cols.centre(i), cy: y(l[lane.key]), r: 3, class: `${lane.cls}-point`, 'data-layer': l.layer })));
  }
  svg.append(xAxis(layers, height - 6, cols));
  svg.append(hitColumns(layers, 18, 240, cols));
  return svg;
}

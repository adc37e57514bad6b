// Hand-drawn SVG charts. Why no chart library: the webview's CSP forbids inline styles and eval
// (most chart libraries need one or the other), the figures are small and fixed (30 points, 60
// bars), and plain SVG takes the VS Code theme straight from CSS variables, so light, dark and
// high-contrast themes need no extra code.
import type { ExplainLayer, ExplainResult } from '@protocol/explain';
import { s } from '../dom';
import { fixed, signed } from '../format';

export const WIDTH = 640;
const LEFT = 52;
const RIGHT = 14;

/** The x layout shared by both charts, so a layer's column lines up from one chart to the next. */
export function columns(count: number) {
  const band = (WIDTH - LEFT - RIGHT) / count;
  return { band, left: (i: number) => LEFT + band * i, centre: (i: number) => LEFT + band * (i + 0.5) };
}

function scale(min: number, max: number, top: number, bottom: number) {
  const span = max - min || 1;
  return (value: number) => bottom - ((value - min) / span) * (bottom - top);
}

function domain(values: number[], include: number[], pad = 0.08): [number, number] {
  let min = Math.min(...values, ...include);
  let max = Math.max(...values, ...include);
  const margin = (max - min || 1) * pad;
  min -= margin;
  max += margin;
  return [min, max];
}

function axisLabel(x: number, y: number, text: string, anchor = 'end', extra = ''): SVGElement {
  return s('text', { x, y, 'text-anchor': anchor, class: `axis-label ${extra}`.trim() }, text);
}

/** Tick labels for the top, zero and bottom of a lane; an end label too close to zero is left out. */
function yTicks(values: number[], y: (value: number) => number, digits: number): SVGElement[] {
  const zero = y(0);
  return values.filter((value) => value === 0 || Math.abs(y(value) - zero) >= 15).map((value) => axisLabel(LEFT - 6, y(value) + 3, fixed(value, digits)));
}

function xAxis(layers: ExplainLayer[], y: number, cols: ReturnType<typeof columns>): SVGElement {
  const group = s('g', { class: 'x-axis', 'aria-hidden': 'true' });
  layers.forEach((layer, i) => {
    if (layer.layer % 5 === 0 || i === layers.length - 1) group.append(axisLabel(cols.centre(i), y, String(layer.layer), 'middle'));
  });
  group.append(axisLabel(LEFT - 6, y, 'layer', 'end'));
  return group;
}

/** Transparent full-height columns: click a layer anywhere on a chart to select it. */
function hitColumns(layers: ExplainLayer[], top: number, bottom: number, cols: ReturnType<typeof columns>): SVGElement {
  const group = s('g', { class: 'hit-columns' });
  layers.forEach((layer, i) => {
    group.append(
      s('rect', { x: cols.left(i), y: top, width: cols.band, height: bottom - top, class: 'hit', 'data-layer': layer.layer }, s('title', {}, `Layer ${layer.layer}`)),
    );
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

function polyline(points: [number, number][], className: string): SVGElement {
  return s('polyline', { points: points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: className });
}

/**
 * Harmfulness at t_inst (top lane, with the threshold) and refusal at t_post-inst (bottom lane),
 * layer by layer: where harmfulness emerges, and whether refusal follows it or is suppressed.
 */
export function signalsChart(result: ExplainResult, description: string): SVGSVGElement {
  const { layers } = result;
  const cols = columns(layers.length);
  const harmTop = 22;
  const harmBottom = 132;
  const refusalTop = 166;
  const refusalBottom = 262;
  const height = 292;
  const [harmMin, harmMax] = domain(
    layers.map((l) => l.harm),
    [0, result.layerThreshold],
  );
  const [refusalMin, refusalMax] = domain(
    layers.map((l) => l.refusal),
    [0],
  );
  const harmY = scale(harmMin, harmMax, harmTop, harmBottom);
  const refusalY = scale(refusalMin, refusalMax, refusalTop, refusalBottom);

  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart signals-chart', role: 'img', 'aria-labelledby': 'signals-title signals-desc', 'data-testid': 'signals-chart' }) as SVGSVGElement;
  svg.append(s('title', { id: 'signals-title' }, 'Harmfulness (t_inst) and refusal (t_post-inst) by layer'), s('desc', { id: 'signals-desc' }, description));
  svg.append(highlight(layers, harmTop - 8, refusalBottom, cols));

  // Layers the detector averages over: a faint band behind the harm lane.
  layers.forEach((layer, i) => {
    if (layer.weight > 0) svg.append(s('rect', { x: cols.left(i), y: harmTop, width: cols.band, height: harmBottom - harmTop, class: 'detector-band', 'aria-hidden': 'true' }));
  });

  // Lane titles and y ticks.
  svg.append(s('text', { x: LEFT, y: harmTop - 8, class: 'lane-title harm-text' }, 'Harmfulness at t_inst'));
  svg.append(s('text', { x: LEFT, y: refusalTop - 8, class: 'lane-title refusal-text' }, 'Refusal at t_post-inst (z)'));
  for (const label of yTicks([harmMax, 0, harmMin], harmY, 2)) svg.append(label);
  for (const label of yTicks([refusalMax, 0, refusalMin], refusalY, 1)) svg.append(label);
  svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: harmY(0), y2: harmY(0), class: 'zero-line' }));
  svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: refusalY(0), y2: refusalY(0), class: 'zero-line' }));
  svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: harmY(result.layerThreshold), y2: harmY(result.layerThreshold), class: 'threshold-line', 'data-testid': 'threshold-line' }));
  svg.append(s('text', { x: WIDTH - RIGHT, y: harmY(result.layerThreshold) - 4, 'text-anchor': 'end', class: 'threshold-label' }, `threshold ${signed(result.layerThreshold, 2)}`));

  // Readout layer marker (the token heat map is read there).
  const readoutIndex = layers.findIndex((l) => l.layer === result.readoutLayer);
  if (readoutIndex >= 0) {
    svg.append(s('line', { x1: cols.centre(readoutIndex), x2: cols.centre(readoutIndex), y1: harmTop, y2: harmBottom, class: 'readout-line' }));
    svg.append(s('text', { x: cols.centre(readoutIndex) + 3, y: harmBottom - 4, class: 'readout-label' }, 'readout'));
  }

  svg.append(polyline(layers.map((l, i) => [cols.centre(i), harmY(l.harm)]), 'series harm-line'));
  svg.append(polyline(layers.map((l, i) => [cols.centre(i), refusalY(l.refusal)]), 'series refusal-line'));
  layers.forEach((l, i) => {
    const above = l.harm >= result.layerThreshold;
    svg.append(s('circle', { cx: cols.centre(i), cy: harmY(l.harm), r: above ? 3.4 : 2.6, class: above ? 'harm-point above' : 'harm-point', 'data-layer': l.layer }));
    svg.append(s('circle', { cx: cols.centre(i), cy: refusalY(l.refusal), r: 2.6, class: 'refusal-point', 'data-layer': l.layer }));
  });
  svg.append(xAxis(layers, height - 10, cols));
  svg.append(hitColumns(layers, harmTop - 8, refusalBottom, cols));
  return svg;
}

/** How much each layer's attention block and MLP block moved the harmfulness signal (diverging bars). */
export function modulesChart(result: ExplainResult, description: string): SVGSVGElement {
  const { layers } = result;
  const cols = columns(layers.length);
  const top = 22;
  const bottom = 150;
  const height = 180;
  const extent = Math.max(...layers.flatMap((l) => [Math.abs(l.attentionContribution), Math.abs(l.mlpContribution)]), 1e-6) * 1.1;
  const y = scale(-extent, extent, top, bottom);

  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart modules-chart', role: 'img', 'aria-labelledby': 'modules-title modules-desc', 'data-testid': 'modules-chart' }) as SVGSVGElement;
  svg.append(s('title', { id: 'modules-title' }, 'Attention vs MLP contribution to the harmfulness signal, by layer'), s('desc', { id: 'modules-desc' }, description));
  svg.append(highlight(layers, top - 8, bottom, cols));
  svg.append(axisLabel(LEFT - 6, y(extent) + 3, signed(extent, 3)));
  svg.append(axisLabel(LEFT - 6, y(0) + 3, '0'));
  svg.append(axisLabel(LEFT - 6, y(-extent) + 3, signed(-extent, 3)));

  // Legend: shape and position tell the two apart too, not colour alone (attention left, MLP right).
  svg.append(s('rect', { x: LEFT, y: top - 16, width: 10, height: 8, class: 'bar attention' }));
  svg.append(s('text', { x: LEFT + 14, y: top - 9, class: 'legend-label' }, 'attention (left bar)'));
  svg.append(s('rect', { x: LEFT + 140, y: top - 16, width: 10, height: 8, class: 'bar mlp' }));
  svg.append(s('text', { x: LEFT + 154, y: top - 9, class: 'legend-label' }, 'MLP (right bar)'));
  svg.append(s('text', { x: WIDTH - RIGHT, y: top - 9, 'text-anchor': 'end', class: 'legend-label muted-text' }, '↑ toward harmful · ↓ away'));

  const barWidth = cols.band * 0.36;
  layers.forEach((l, i) => {
    const x = cols.centre(i);
    for (const [value, offset, kind] of [
      [l.attentionContribution, -barWidth - 0.5, 'attention'],
      [l.mlpContribution, 0.5, 'mlp'],
    ] as const) {
      const y0 = y(0);
      const y1 = y(value);
      svg.append(s('rect', { x: x + offset, y: Math.min(y0, y1), width: barWidth, height: Math.max(0.75, Math.abs(y1 - y0)), class: `bar ${kind}`, 'data-layer': l.layer }));
    }
  });
  svg.append(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0), class: 'zero-line' }));
  svg.append(xAxis(layers, height - 10, cols));
  svg.append(hitColumns(layers, top - 8, bottom, cols));
  return svg;
}

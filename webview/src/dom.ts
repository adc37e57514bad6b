// Tiny DOM builders. Styles are set through CSSOM (element.style.setProperty), never through
// style attributes: the webview's CSP has no 'unsafe-inline', and CSSOM writes are allowed under it.

type Attributes = Record<string, string | number | boolean | undefined>;
type Child = Node | string | number | null | undefined | false;

function apply(element: Element, attributes: Attributes | undefined, children: Child[]): void {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

/** An HTML element (toolkit custom elements included: pass their tag name). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attributes?: Attributes, ...children: Child[]): HTMLElement;
export function h(tag: string, attributes?: Attributes, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  apply(element, attributes, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag: string, attributes?: Attributes, ...children: Child[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag) as SVGElement;
  apply(element, attributes, children);
  return element;
}

/** Sets CSS custom properties on an element through CSSOM (allowed under the CSP). */
export function cssVars(element: HTMLElement | SVGElement, vars: Record<string, string | number>): void {
  for (const [name, value] of Object.entries(vars)) element.style.setProperty(name, String(value));
}

/**
 * A count badge styled like the toolkit's. Not <vscode-badge>: its template sets an inline style
 * attribute, which this CSP (rightly) blocks and reports.
 */
export function countBadge(count: number, attributes: Attributes = {}): HTMLElement {
  return h('span', { class: 'count-badge', ...attributes }, String(count));
}

/** A label styled like the toolkit's <vscode-tag>, which shares the badge's inline-style template. */
export function tag(text: string, attributes: Attributes = {}): HTMLElement {
  return h('span', { class: 'tag', ...attributes }, text);
}

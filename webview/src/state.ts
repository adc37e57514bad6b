// What the explorer remembers across reloads (vscode.setState) and what a view is told on selection.
import type { ExplainResult, ExplorerToWebview } from '@protocol/explain';

export type Selection = { kind: 'layer'; layer: number } | { kind: 'token'; index: number } | { kind: 'neuron'; index: number };

export interface ExplorerState {
  /** The last message from the host, replayed after a reload. */
  message?: ExplorerToWebview;
  selection?: Selection;
}

/** What every view gets: the result to draw and the ways to act on it. */
export interface ViewContext {
  result: ExplainResult;
  select(selection: Selection): void;
  copy(what: string, value: unknown): void;
  reveal(start: number, end: number): void;
}

export interface View {
  element: HTMLElement;
  /** Reflects the current selection (highlight, aria-selected, roving tabindex). */
  update(selection: Selection | undefined): void;
}

export function sameSelection(a: Selection | undefined, b: Selection | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// The Latent Explorer's webview script. It computes nothing: it renders what the server explains
// (server/src/protocol/explain.ts) and talks to the extension host only through typed messages.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDivider,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';
import type { ExplainResult, ExplorerToWebview, WebviewToExplorer } from '@protocol/explain';
import { h } from './dom';
import { milliseconds } from './format';
import { sameSelection, type ExplorerState, type Selection, type View, type ViewContext } from './state';
import { detailsView } from './views/details';
import { layersView } from './views/layers';
import { neuronsView } from './views/neurons';
import { tokensView } from './views/tokens';
import { verdictView } from './views/verdict';
import './styles.css';

// The toolkit's web components, registered from this bundle (no CDN, nothing outside dist/webview).
provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDataGrid(),
  vsCodeDataGridCell(),
  vsCodeDataGridRow(),
  vsCodeDivider(),
  vsCodePanels(),
  vsCodePanelTab(),
  vsCodePanelView(),
  vsCodeProgressRing(),
);

interface VsCodeApi {
  postMessage(message: WebviewToExplorer): void;
  getState(): ExplorerState | undefined;
  setState(state: ExplorerState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscodeApi = acquireVsCodeApi();
const root = document.getElementById('root') ?? document.body;
let state: ExplorerState = vscodeApi.getState() ?? {};
let views: View[] = [];

function post(message: WebviewToExplorer): void {
  vscodeApi.postMessage(message);
}

function save(): void {
  vscodeApi.setState(state);
}

function select(selection: Selection): void {
  if (!sameSelection(state.selection, selection)) {
    state = { ...state, selection };
    save();
  }
  for (const view of views) view.update(state.selection);
}

function renderResult(result: ExplainResult): void {
  const context: ViewContext = {
    result,
    select,
    copy: (what, value) => post({ type: 'copy', json: JSON.stringify(value, null, 2) + '\n' }),
    reveal: (start, end) => post({ type: 'reveal', start, end }),
  };
  const verdict = verdictView(context);
  const tokens = tokensView(context);
  const layers = layersView(context);
  const neurons = neuronsView(context);
  const details = detailsView(context);
  views = [verdict, tokens, layers, neurons, details];

  const copyAll = h('vscode-button', { appearance: 'primary', 'aria-label': 'Copy everything shown as JSON', 'data-testid': 'copy-all' }, 'Copy all as JSON');
  copyAll.addEventListener('click', () => context.copy('result', result));
  const where = result.unitId ?? result.uri;

  root.replaceChildren(
    h(
      'header',
      { class: 'page-header' },
      h(
        'div',
        {},
        h('h1', {}, 'Latent Explorer'),
        h('p', { class: 'muted', 'data-testid': 'model' }, `${result.model.name} · graph ${result.model.graph} · layers 1–${result.model.layers} of ${result.model.modelLayers} · ${milliseconds(result.ms)}${where ? ' · ' + where : ''}`),
        h('p', { class: 'muted', 'data-testid': 'model-why' }, `Explained on ${result.model.why}.`),
      ),
      copyAll,
    ),
    h('vscode-divider', { role: 'separator' }),
    h(
      'div',
      { class: 'layout' },
      h('main', { class: 'content' }, verdict.element, tokens.element, layers.element, neurons.element),
      details.element,
    ),
  );
  for (const view of views) view.update(state.selection);
}

function render(message: ExplorerToWebview | undefined): void {
  views = [];
  if (!message) {
    root.replaceChildren(
      h('div', { class: 'empty', 'data-testid': 'empty' }, h('h1', {}, 'Latent Explorer'), h('p', {}, 'Select some text in a prompt file and run “Latent Lint: Explain Selection” to see which layers, modules and neurons fired.')),
    );
  } else if (message.type === 'loading') {
    root.replaceChildren(
      h('div', { class: 'empty', role: 'status', 'data-testid': 'loading' }, h('vscode-progress-ring', { 'aria-label': 'Explaining' }), h('p', {}, 'Explaining ', h('q', {}, message.text), '…')),
    );
  } else if (message.type === 'error') {
    root.replaceChildren(h('div', { class: 'empty error', role: 'alert', 'data-testid': 'error' }, h('h1', {}, 'Could not explain this text'), h('p', {}, message.message)));
  } else {
    renderResult(message.result);
  }
}

window.addEventListener('message', (event: MessageEvent<ExplorerToWebview>) => {
  const message = event.data;
  if (!message || typeof message !== 'object' || !('type' in message)) return;
  // A new result resets the selection; the same result again (the host re-sending after a
  // reload) keeps it.
  const same = message.type === 'explain' && state.message?.type === 'explain' && JSON.stringify(state.message.result) === JSON.stringify(message.result);
  state = { message, selection: same ? state.selection : undefined };
  save();
  render(message);
});

render(state.message);
post({ type: 'ready' });

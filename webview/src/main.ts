// The Latent Explorer's webview script. It computes nothing: it renders what the server explains.
declare function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void };

const vscodeApi = acquireVsCodeApi();
window.addEventListener('message', (event: MessageEvent) => {
  vscodeApi.setState(event.data);
});
vscodeApi.postMessage({ type: 'ready' });

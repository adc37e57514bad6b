// The status bar item: what the latent guard is doing, and what Restricted Mode limits.
import * as vscode from 'vscode';
import { COMMANDS, type ModelState } from '../server/src/protocol/messages';

const ICON: Record<ModelState['state'], string> = {
  loading: '$(sync~spin)',
  ready: '$(shield)',
  failed: '$(error)',
  'rules-only': '$(law)',
  disabled: '$(circle-slash)',
};

const LABEL: Record<ModelState['state'], string> = {
  loading: 'loading the model…',
  ready: 'latent guard ready',
  failed: 'latent guard failed; rules only',
  'rules-only': 'rules only',
  disabled: 'latent guard off; rules only',
};

export class ModelStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('latentLint.status', vscode.StatusBarAlignment.Right, 100);
  private state: ModelState = { state: 'loading' };

  constructor(private readonly trusted: () => boolean) {
    this.item.name = 'Latent Lint';
    this.item.command = COMMANDS.showOutput;
    this.render();
    this.item.show();
  }

  update(state: ModelState): void {
    this.state = state;
    this.render();
  }

  render(): void {
    const state = this.state;
    this.item.text = `${ICON[state.state]} Latent Lint`;
    const tooltip = new vscode.MarkdownString(`**Latent Lint**: ${LABEL[state.state]}`);
    if (state.state === 'ready') tooltip.appendMarkdown(`\n\nModel: ${state.model} (${state.graph})`);
    if ('reason' in state) tooltip.appendMarkdown(`\n\n${state.reason}`);
    if (!this.trusted()) {
      tooltip.appendMarkdown(
        '\n\n$(workspace-untrusted) Restricted Mode: this folder\'s `.latentlint.yaml` may not add `promptFiles` or tune the latent guard, and workspace model settings are not applied.',
      );
    }
    tooltip.appendMarkdown('\n\nClick to show the output.');
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = state.state === 'failed' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

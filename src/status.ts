// The status bar item: what the latent guard is doing, and what Restricted Mode limits. When the
// model cannot run it says "rules only" and why, with Show details (the output) and Retry.
import * as vscode from 'vscode';
import { COMMANDS, type ModelState } from '../server/src/protocol/messages';

const ICON: Record<ModelState['state'], string> = {
  loading: '$(sync~spin)',
  ready: '$(shield)',
  failed: '$(warning)',
  'rules-only': '$(warning)',
  disabled: '$(circle-slash)',
};

const LABEL: Record<ModelState['state'], string> = {
  loading: 'loading the model…',
  ready: 'latent guard ready',
  failed: 'rules only: the latent guard failed to load',
  'rules-only': 'rules only: the latent guard\'s model is missing',
  disabled: 'latent guard off; rules only',
};

/** The model cannot run, though it is turned on: the user can act on it. */
export function modelUnavailable(state: ModelState): state is Extract<ModelState, { state: 'failed' | 'rules-only' }> {
  return state.state === 'failed' || state.state === 'rules-only';
}

export class ModelStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('latentLint.status', vscode.StatusBarAlignment.Right, 100);
  private state: ModelState = { state: 'loading' };

  constructor(private readonly trusted: () => boolean) {
    this.item.name = 'Latent Lint';
    this.item.command = COMMANDS.showOutput;
    this.render();
    this.item.show();
  }

  get current(): ModelState {
    return this.state;
  }

  update(state: ModelState): void {
    this.state = state;
    this.render();
  }

  render(): void {
    const state = this.state;
    const unavailable = modelUnavailable(state);
    // A guard running around a corrupt graph works, but not as built: the icon says so too.
    const icon = state.state === 'ready' && state.warnings?.length ? '$(warning)' : ICON[state.state];
    this.item.text = unavailable ? `${icon} Latent Lint: rules only` : `${icon} Latent Lint`;
    const tooltip = new vscode.MarkdownString(`**Latent Lint**: ${LABEL[state.state]}`);
    if (state.state === 'ready') tooltip.appendMarkdown(`\n\nModel: ${state.model} (${state.graph})`);
    if (state.state === 'ready') {
      for (const warning of state.warnings ?? []) {
        tooltip.appendMarkdown('\n\n$(warning) ');
        tooltip.appendText(warning);
      }
    }
    if ('reason' in state) {
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(state.reason);
    }
    if (unavailable) tooltip.appendMarkdown('\n\nThe policy rules still run; findings of the latent guard (`latent/*`) appear once the model loads.');
    if (!this.trusted()) {
      tooltip.appendMarkdown(
        '\n\n$(workspace-untrusted) Restricted Mode: this folder\'s `.latentlint.yaml` and `.latentlintignore` may not weaken the checks (severities, `off`, rule options, `ignore`, the guard off), add `promptFiles` or tune the latent guard, and workspace rule and model settings are not applied.',
      );
    }
    tooltip.appendMarkdown(unavailable ? `\n\n[Show details](command:${COMMANDS.showOutput}) · [Retry](command:${COMMANDS.retryModel})` : '\n\nClick to show the output.');
    tooltip.supportThemeIcons = true;
    tooltip.isTrusted = { enabledCommands: [COMMANDS.showOutput, COMMANDS.retryModel] };
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Latent Lint: ${LABEL[state.state]}${'reason' in state ? `. ${state.reason}` : ''}` };
    this.item.backgroundColor = unavailable ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

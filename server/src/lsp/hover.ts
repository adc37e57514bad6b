// Hover on a finding: why the rule fired, and for the latent guard what the model saw.
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { Finding, RuleMeta } from '../core/types';
import { COMMANDS, type ExplainCommandArgs } from '../protocol/messages';
import { PUBLIC_DOC_LINK, type DocLink } from './diagnostics';

export interface HoverFinding {
  finding: Finding;
  latent: boolean;
}

/** Reads the layers a latent finding names, whichever shape the guard used (numbers or records). */
function strongestLayers(data: Record<string, unknown>): string[] {
  const raw = data.topLayers ?? data.strongestLayers ?? data.layers;
  if (!Array.isArray(raw)) return [];
  const layers = raw.map((item) => {
    if (typeof item === 'number') return { layer: item, value: undefined };
    if (typeof item === 'object' && item !== null) {
      const record = item as Record<string, unknown>;
      const value = [record.harm, record.score, record.signal, record.value].find((v) => typeof v === 'number') as number | undefined;
      return typeof record.layer === 'number' ? { layer: record.layer, value } : undefined;
    }
    return undefined;
  });
  const known = layers.filter((entry): entry is { layer: number; value: number | undefined } => !!entry);
  if (known.every((entry) => entry.value !== undefined)) known.sort((a, b) => b.value! - a.value!);
  return known.slice(0, 3).map((entry) => (entry.value === undefined ? `${entry.layer}` : `${entry.layer} (${entry.value.toFixed(2)})`));
}

function latentLines(data: Record<string, unknown> | undefined): string[] {
  if (!data) return [];
  const lines: string[] = [];
  const probability = typeof data.probability === 'number' ? data.probability : typeof data.score === 'number' ? data.score : undefined;
  const threshold = typeof data.threshold === 'number' ? data.threshold : undefined;
  if (probability !== undefined) lines.push(`- Probability harmful: **${probability.toFixed(2)}**${threshold !== undefined ? ` (threshold ${threshold.toFixed(2)})` : ''}`);
  if (typeof data.category === 'string') lines.push(`- Category: ${data.category}`);
  if (data.refusalSuppressed === true) lines.push('- Refusal signal suppressed (jailbreak-like)');
  const layers = strongestLayers(data);
  if (layers.length > 0) lines.push(`- Strongest layers: ${layers.join(', ')}`);
  return lines;
}

function commandLink(title: string, command: string, args: unknown[]): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

export function hoverFor(uri: string, entries: HoverFinding[], metas: ReadonlyMap<string, RuleMeta>, docLink: DocLink = PUBLIC_DOC_LINK): Hover | undefined {
  if (entries.length === 0) return undefined;
  const sections = entries.map(({ finding, latent }) => {
    const meta = metas.get(finding.ruleId);
    const parts = [`**Latent Lint** · \`${finding.ruleId}\` (${finding.severity})`];
    // The editor shows the diagnostic's message above this hover: say what it does not.
    if (meta) parts.push(meta.description);
    if (latent) {
      const lines = latentLines(finding.data);
      if (lines.length > 0) parts.push(lines.join('\n'));
    }
    const explain: ExplainCommandArgs = { uri, range: finding.range };
    parts.push(`${commandLink('Explain in Latent Explorer', COMMANDS.explainSelection, [explain])} · [Rule documentation](${docLink(finding.ruleId, finding.docsUrl)})`);
    return parts.join('\n\n');
  });
  const first = entries[0].finding.range;
  return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range: first };
}

import type { FileProbe, Format } from '../core/types';
import { probeFile } from './probe';
import { claudeSettingsFormat } from './claude-settings';
import { crewAiFormat } from './crewai';
import { dotpromptFormat } from './dotprompt';
import { markdownPromptFormat, plainPromptFormat } from './markdown';
import { mcpConfigFormat } from './mcp-config';
import { mcpServerManifestFormat } from './mcp-server-manifest';
import { mcpToolsFormat } from './mcp-tools';
import { openAiToolsFormat } from './openai-tools';
import { promptyFormat } from './prompty';
import { toolOutputFormat } from './tool-output';

/** Every format, most specific first: the first that matches a file parses it. */
export const FORMATS: readonly Format[] = [
  markdownPromptFormat,
  promptyFormat,
  dotpromptFormat,
  crewAiFormat,
  // JSON by name first, then by shape.
  claudeSettingsFormat,
  mcpConfigFormat,
  mcpServerManifestFormat,
  mcpToolsFormat,
  openAiToolsFormat,
  toolOutputFormat,
  plainPromptFormat,
];

/** The first format that reads the file, or undefined if none does. */
export function findFormat(file: FileProbe, formats: readonly Format[] = FORMATS): Format | undefined {
  return formats.find((format) => format.matches(file));
}

/** The format for a file, or undefined if none applies. `explicit`: the user named the file. */
export function formatFor(fileName: string, text: string, explicit: boolean): Format | undefined {
  return findFormat(probeFile(fileName, explicit, text));
}

export { asExplicit, probeFile } from './probe';

import type { Format } from '../core/types';
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

/** The format for a file, or undefined if none applies. `explicit`: the user named the file. */
export function formatFor(fileName: string, text: string, explicit: boolean): Format | undefined {
  return FORMATS.find((format) => format.matches(fileName, text, explicit));
}

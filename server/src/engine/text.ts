import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, Range, Span } from '../core/types';

/**
 * Maps offsets to line/character positions (UTF-16, as LSP and JS strings count), with the line
 * breaks an editor sees (`\n`, `\r\n`, `\r`): vscode-languageserver-textdocument's line table.
 */
export class LineIndex {
  private readonly document: TextDocument;

  constructor(readonly text: string) {
    this.document = TextDocument.create('', 'plaintext', 0, text);
  }

  positionAt(offset: number): Position {
    return this.document.positionAt(offset);
  }

  offsetAt(position: Position): number {
    return this.document.offsetAt(position);
  }

  rangeOf(span: Span): Range {
    return { start: this.positionAt(span.start), end: this.positionAt(span.end) };
  }
}

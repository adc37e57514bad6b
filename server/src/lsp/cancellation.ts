import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';

/** Answers a request the client cancelled with RequestCancelled, whatever else went wrong. */
export function throwIfCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled.');
}

import { fileURLToPath, pathToFileURL } from 'node:url';

/** file: URIs to paths and back; other schemes keep their URI as the "path" (untitled buffers). */
export const URI = {
  toFilePath(uri: string): string {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  },
  fromFilePath(filePath: string): string {
    return pathToFileURL(filePath).toString();
  },
};

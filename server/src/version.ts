// The one version, package.json's: the server announces it, the CLI prints it and keys its cache on it.
// (esbuild keeps only this field of package.json in the bundles.)
import { version } from '../../package.json';

export const VERSION: string = version;

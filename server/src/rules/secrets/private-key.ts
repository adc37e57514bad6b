import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'secrets/private-key';

// PEM and OpenSSH private keys (RSA, EC, DSA, ENCRYPTED, OPENSSH, PGP) and PuTTY .ppk files.
// The body is bounded so a missing END line costs one pass.
const PEM_BEGIN = /-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 )?PRIVATE KEY(?: BLOCK)?)-----/g;
const PEM_END = /-----END ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 )?PRIVATE KEY(?: BLOCK)?)-----/g;
const MAX_KEY_BODY = 20000;
const PUTTY = /PuTTY-User-Key-File-\d+: [\w-]{1,40}\r?\n(?:[^\n]{0,300}\n){0,10}?Private-Lines: \d{1,4}\r?\n((?:[A-Za-z0-9+/=]{1,200}\r?\n){1,200})/g;

/** A real key body is long base64; a placeholder ("...", "<key here>", "MIIE...") is not. */
function looksReal(body: string): boolean {
  const base64 = body.replace(/^[\w-]+:.*$/gm, '').replace(/[\s>*#"'`\\]/g, '');
  if (base64.length < 64) return false;
  if (/\.\.\.|…|x{8,}|<[^>]*>|redacted|placeholder|your[_ -]?key/i.test(body)) return false;
  return /^[A-Za-z0-9+/=]+$/.test(base64);
}

export const privateKey: Rule = {
  meta: {
    id: ID,
    category: 'secrets',
    defaultSeverity: 'error',
    description: 'A private key (PEM, OpenSSH or PuTTY) pasted into a prompt, instruction or tool file.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const text = context.document.text;
    const found: { start: number; end: number; kind: string }[] = [];
    // BEGIN and END lines are found in one pass each and paired in order: linear however many there are.
    const ends: { index: number; end: number; kind: string }[] = [];
    PEM_END.lastIndex = 0;
    for (let match = PEM_END.exec(text); match; match = PEM_END.exec(text)) ends.push({ index: match.index, end: match.index + match[0].length, kind: match[1] });
    let next = 0;
    PEM_BEGIN.lastIndex = 0;
    for (let match = PEM_BEGIN.exec(text); match; match = PEM_BEGIN.exec(text)) {
      const bodyStart = match.index + match[0].length;
      while (next < ends.length && ends[next].index < bodyStart) next++;
      const end = ends[next];
      if (!end || end.kind !== match[1] || end.index - bodyStart > MAX_KEY_BODY) continue;
      if (looksReal(text.slice(bodyStart, end.index).replace(/\\n/g, '\n'))) found.push({ start: match.index, end: end.end, kind: match[1] });
    }
    PUTTY.lastIndex = 0;
    for (let match = PUTTY.exec(text); match; match = PUTTY.exec(text)) {
      if (looksReal(match[1])) found.push({ start: match.index, end: match.index + match[0].length, kind: 'PuTTY private key' });
    }
    for (const { start, end, kind } of found) {
      context.report({
        span: { start, end },
        message: `A private key (${kind.trim()}) is written in the file; whoever reads the file or the prompt can sign or log in as its owner. Remove it, load it from a key file or secret store, and rotate it.`,
        fix: { title: 'Replace the key with a placeholder', edits: [{ span: { start, end }, newText: '<private key removed: load it from a key file or secret store>' }] },
        data: { kind },
      });
    }
  },
};

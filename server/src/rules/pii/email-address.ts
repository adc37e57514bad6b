import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { lineAround } from '../text';

const ID = 'pii/email-address';

// Local part and domain bounded, labels separated by dots: linear on long runs of letters.
const EMAIL = /(?<![\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24}))(?![\w-])/g;

// RFC 2606 / RFC 6761 names, and domains used only as placeholders.
const RESERVED_DOMAIN = /(^|\.)(example\.(com|org|net|edu)|example|test|invalid|localhost|local|domain\.(com|tld)|email\.com|company\.(com|tld)|acme\.(com|corp)|contoso\.com|fabrikam\.com|yourdomain\.\w+|yourcompany\.\w+|mycompany\.\w+|foo\.\w+|bar\.\w+|sample\.\w+|users\.noreply\.github\.com|noreply\.github\.com|your[\w-]*\.[\w.]+|my[\w-]*(?:tenant|domain|company|org)\.[\w.]+|test\.com|contoso\.\w+|fabrikam\.\w+|northwind\w*\.\w+|adventure-?works\.\w+)$/i;
// Local parts that name a role or a placeholder, not a person. Name-shaped ones (jane.doe, bob) are
// people unless the domain is a placeholder: jane.doe@acme-billing.com is someone's address.
const NOT_A_PERSON =
  /^(test[\w.-]*|[\w.-]*example[\w.-]*|my-[\w.-]+|[\w.-]*-user|user\d*|username|name|first\.?last|firstname\.?lastname|email|e-?mail|you|your[._-]?(name|email)?|me|someone|somebody|test|tester|demo|sample|example|foo|bar|admin|administrator|root|info|support|help|helpdesk|contact|hello|hi|sales|security|abuse|privacy|legal|press|team|dev|developers?|noreply|no-reply|donotreply|do-not-reply|postmaster|webmaster|hostmaster|billing|feedback|jobs|careers|office|mail|notifications?|alerts?|bot|git|github|ops|it|hr|marketing|community|opensource|open-source|maintainers?|conduct|report|inquiries|enquiries|partners?)$/i;
// Things that look like addresses but are not: package scopes, git remotes, decorators.
const NOT_AN_ADDRESS_BEFORE = /(git|ssh:\/\/[^\s]*|npm\s+i(nstall)?\s+|[:/])$/;

const AUTHORSHIP = /^\s*(?:[-\"']+\s*)?(author|authors|maintainer|maintainers|owner|owners|contact|creator|publisher|copyright|email)[\"']?\s*[:=]/i;

export const emailAddress: Rule = {
  meta: {
    id: ID,
    category: 'pii',
    defaultSeverity: 'warning',
    description: "A person's email address in a prompt, where it is sent to every model call and can leak into answers.",
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const text = context.document.text;
    EMAIL.lastIndex = 0;
    for (let match = EMAIL.exec(text); match; match = EMAIL.exec(text)) {
      const [address, local, domain, tld] = match;
      if (RESERVED_DOMAIN.test(domain) || NOT_A_PERSON.test(local)) continue;
      // File names and versions ("logo@2x.png", "pkg@1.2.3") are not addresses.
      if (/^(png|jpe?g|gif|svg|webp|js|ts|json|md|py|txt)$/i.test(tld)) continue;
      // Real top-level domains are one case ("com", "COM"); "FormattedValue" is an annotation name.
      if (tld !== tld.toLowerCase() && tld !== tld.toUpperCase()) continue;
      // Authorship metadata (front matter `author:`, package `maintainers`) is not prompt content.
      if (AUTHORSHIP.test(lineAround(text, match.index, match.index).before)) continue;
      if (NOT_AN_ADDRESS_BEFORE.test(text.slice(Math.max(0, match.index - 20), match.index))) continue;
      const span = { start: match.index, end: match.index + address.length };
      context.report({
        span,
        message: `The email address ${address} is written into the prompt; personal data sent with every request can be logged by the provider and repeated in answers. Use a placeholder such as user@example.com.`,
        fix: { title: 'Replace with user@example.com', edits: [{ span, newText: 'user@example.com' }] },
        data: { address },
      });
    }
  },
};

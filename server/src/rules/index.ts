import type { Rule } from '../core/types';
import { excessivePermissions } from './agent/excessive-permissions';
import { goalOverSafety } from './agent/goal-over-safety';
import { unboundedAutonomy } from './agent/unbounded-autonomy';
import { missingScope } from './hygiene/missing-scope';
import { overrideInstructions } from './injection/override-instructions';
import { plantedInstructions } from './injection/planted-instructions';
import { promptExtraction } from './injection/prompt-extraction';
import { untrustedInput } from './injection/untrusted-input';
import { encodedPayload } from './jailbreak/encoded-payload';
import { refusalSuppression } from './jailbreak/refusal-suppression';
import { roleplayTemplate } from './jailbreak/roleplay-template';
import { toxicTextRequest } from './jailbreak/toxic-text-request';
import { emailAddress } from './pii/email-address';
import { paymentCard } from './pii/payment-card';
import { phoneNumber } from './pii/phone-number';
import { apiKey } from './secrets/api-key';
import { privateKey } from './secrets/private-key';
import { destructiveWithoutConfirmation } from './tool/destructive-without-confirmation';
import { hiddenInstructions } from './tool/hidden-instructions';
import { shadowing } from './tool/shadowing';
import { unconstrainedCommand } from './tool/unconstrained-command';
import { unconstrainedUrl } from './tool/unconstrained-url';
import { invisibleCharacters } from './unicode/invisible-characters';
import { mixedScriptName } from './unicode/mixed-script-name';

/** The rule registry: every rule, once. Settings and docs are generated from this list. */
export const RULES: readonly Rule[] = [
  overrideInstructions,
  untrustedInput,
  plantedInstructions,
  promptExtraction,
  roleplayTemplate,
  refusalSuppression,
  encodedPayload,
  toxicTextRequest,
  apiKey,
  privateKey,
  emailAddress,
  phoneNumber,
  paymentCard,
  invisibleCharacters,
  mixedScriptName,
  hiddenInstructions,
  shadowing,
  destructiveWithoutConfirmation,
  unconstrainedCommand,
  unconstrainedUrl,
  goalOverSafety,
  unboundedAutonomy,
  excessivePermissions,
  missingScope,
];

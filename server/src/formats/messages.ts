// Chat templates split into messages at role markers (`system:` in Prompty, `{{role "user"}}` in Dotprompt).
import type { Unit } from '../core/types';

export interface RoleMarker {
  role: string;
  /** Where the marker starts and where the message after it starts. */
  start: number;
  contentStart: number;
}

const NOT_INSTRUCTIONS = new Set(['assistant', 'model', 'function', 'tool']);

/** True when a message of this role is written to steer the model (system, developer, user). */
export const instructsModel = (role: string): boolean => !NOT_INSTRUCTIONS.has(role.toLowerCase());

/**
 * One `message` unit per marker (and one for text before the first marker, in `defaultRole`),
 * trimmed to its content so that `text.slice(span)` is the message.
 */
export function messageUnits(text: string, from: number, to: number, markers: RoleMarker[], defaultRole: string): Unit[] {
  const units: Unit[] = [];
  const segments: { role: string; start: number; end: number }[] = [];
  const first = markers[0]?.start ?? to;
  segments.push({ role: defaultRole, start: from, end: first });
  markers.forEach((marker, index) => segments.push({ role: marker.role, start: marker.contentStart, end: markers[index + 1]?.start ?? to }));
  for (const segment of segments) {
    const slice = text.slice(segment.start, segment.end);
    const trimmed = slice.trim();
    if (trimmed.length === 0) continue;
    const start = segment.start + (slice.length - slice.trimStart().length);
    units.push({
      id: `messages[${units.length}]`,
      kind: 'message',
      label: segment.role,
      text: trimmed,
      span: { start, end: start + trimmed.length },
      instruction: instructsModel(segment.role),
    });
  }
  return units;
}

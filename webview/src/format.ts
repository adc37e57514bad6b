// Number formatting only: every figure shown comes from the engine as is.

export function signed(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return (value < 0 ? '−' : '+') + text;
}

export function fixed(value: number, digits = 3): string {
  return value.toFixed(digits).replace('-', '−');
}

/**
 * A probability as a percentage. One decimal when whole percents would hide which side of the
 * threshold it is on (49.6% against 50% must not read "50%" and "below threshold").
 */
export function percent(probability: number, threshold?: number): string {
  const whole = Math.round(probability * 100);
  const close = threshold !== undefined && whole === Math.round(threshold * 100) && probability !== threshold;
  return close ? `${(probability * 100).toFixed(1)}%` : `${whole}%`;
}

export function milliseconds(ms: number): string {
  return `${Math.round(ms)} ms`;
}

/** Shows a token's whitespace so a lone space or newline can be seen and selected. */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\t/g, '→');
}

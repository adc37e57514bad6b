// Number formatting only: every figure shown comes from the engine as is.

export function signed(value: number, digits = 3): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return (value < 0 ? '−' : '+') + text;
}

export function fixed(value: number, digits = 3): string {
  return value.toFixed(digits).replace('-', '−');
}

export function percent(probability: number): string {
  return `${Math.round(probability * 100)}%`;
}

/** Shows a token's whitespace so a lone space or newline can be seen and selected. */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\t/g, '→');
}

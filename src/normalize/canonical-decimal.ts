/**
 * Checks that a decimal is in the one canonical text form of the contract: an optional minus, no
 * leading zeros, exactly `scale` fraction digits ("199.00", "0.50", "-3.10"), and no negative zero.
 * The codec already turns Avro decimal bytes into this form; normalize re-checks because replay
 * files and other producers hand in text, and a non-canonical decimal must become a dead letter
 * rather than a second spelling of the same amount in the golden view.
 */
export function isCanonicalDecimal(text: string, scale: number): boolean {
  const len = text.length;
  let i = 0;
  const negative = text.charCodeAt(0) === 45; /* - */
  if (negative) i = 1;
  const intStart = i;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i += 1;
  }
  const intDigits = i - intStart;
  if (intDigits === 0) return false;
  const leadingZero = text.charCodeAt(intStart) === 48;
  if (leadingZero && intDigits > 1) return false;
  let allZero = leadingZero;
  if (scale === 0) {
    if (i !== len) return false;
  } else {
    if (text.charCodeAt(i) !== 46 /* . */ || len - i - 1 !== scale) return false;
    for (let j = i + 1; j < len; j += 1) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return false;
      if (c !== 48) allZero = false;
    }
  }
  return !(negative && allZero);
}

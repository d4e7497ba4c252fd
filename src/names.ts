/** Whether a metric name matches the legacy pattern `^[a-zA-Z_:][a-zA-Z0-9_:]*$`. */
export function isLegacyMetricName (name: string): boolean {
  return isLegacyName(name, true)
}

/** Whether a label name matches the legacy pattern `^[a-zA-Z_][a-zA-Z0-9_]*$`. */
export function isLegacyLabelName (name: string): boolean {
  return isLegacyName(name, false)
}

// Char codes instead of a regular expression: this runs for every label of every pushed series.
function isLegacyName (name: string, colon: boolean): boolean {
  if (name === '') return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    const allowed = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a) || (i > 0 && c >= 0x30 && c <= 0x39)
    if (!allowed) return false
  }
  return true
}

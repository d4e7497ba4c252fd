/**
 * Formats a float64 as Go's `strconv.FormatFloat(f, 'g', -1, 64)` (the same as `fmt.Sprint` of a
 * float64): the shortest digits that read back to `f`, in exponent form (`1e+06`, `1.5e-07`) when the
 * decimal exponent is below -4 or at least 6, with Prometheus spellings `NaN`, `+Inf` and `-Inf`;
 * negative zero gives `-0`.
 */
export function formatGoFloat (f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0'
  return formatNonZero(f)
}

/**
 * Formats a sample value as the text writer's `writeFloat` does: like {@link formatGoFloat}, except
 * that negative zero gives `0`.
 */
export function formatSampleValue (f: number): string {
  if (f === 0) return '0'
  return formatNonZero(f)
}

function formatNonZero (f: number): string {
  const magnitude = f < 0 ? -f : f
  // Number#toString yields the same shortest round-trip digits as Go, in plain decimal notation
  // for every magnitude from 1e-7 up to 1e21, which covers Go's plain range [1e-4, 1e6).
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(f)
  if (Number.isNaN(f)) return 'NaN'
  if (magnitude === Infinity) return f > 0 ? '+Inf' : '-Inf'
  return toGoExponent(f.toExponential())
}

/** Rewrites JavaScript's exponent (`1.5e-7`, `1e+21`) with Go's two-digit minimum (`1.5e-07`). */
function toGoExponent (js: string): string {
  const e = js.indexOf('e')
  // js[e + 1] is the sign; a single exponent digit means the string ends two characters later.
  if (js.length - e === 3) return js.slice(0, e + 2) + '0' + js.slice(e + 2)
  return js
}

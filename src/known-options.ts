import { InvalidOptionError } from './errors.js'

/**
 * Refuses an options object with a key that is not an option, naming it (and the option it most
 * likely meant): JavaScript callers have no compiler to catch `bodylimit` for `bodyLimit`.
 * `where` prefixes nested option names (`limits.`).
 */
export function refuseUnknownOptions (options: object, known: readonly string[], where = ''): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue
    const meant = known.find(option => option.toLowerCase() === name.toLowerCase())
    throw new InvalidOptionError(where + name, `left out: it is not an option${meant === undefined ? '' : ` (did you mean "${where + meant}"?)`}`, (options as Record<string, unknown>)[name])
  }
}

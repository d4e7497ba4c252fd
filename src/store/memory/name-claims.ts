import type { EscapingScheme } from '../../exposition/names.js'
import { exposedName, isLegacyMetricName } from '../../exposition/names.js'

/** The escaping schemes that may change a name; `allow-utf-8` shows every name as it is. */
export const CHANGING_SCHEMES: readonly EscapingScheme[] = ['underscores', 'dots', 'values']

/** Another name shown like the one asked about: under which scheme, and as what. */
export interface Rival {
  name: string
  scheme: EscapingScheme
  exposed: string
}

/**
 * The names in use (counted) by the form each escaping scheme shows them in, so that a new name
 * whose form equals another name's can be refused in time proportional to the names asked about.
 */
export class NameClaims {
  // `<scheme> <exposed form>` to the names shown so, with how many holders claim each.
  readonly #claims = new Map<string, Map<string, number>>()
  #changing = 0

  /** How many of the holders counted hold a name that some scheme changes (one that is not legacy-valid). */
  get changing (): number {
    return this.#changing
  }

  /** Counts one more holder of `name`. */
  add (name: string): void {
    if (!isLegacyMetricName(name)) this.#changing++
    for (const scheme of CHANGING_SCHEMES) {
      const key = scheme + ' ' + exposedName(name, scheme)
      let names = this.#claims.get(key)
      if (names === undefined) {
        names = new Map()
        this.#claims.set(key, names)
      }
      names.set(name, (names.get(name) ?? 0) + 1)
    }
  }

  /** Counts one holder of `name` fewer. */
  remove (name: string): void {
    if (!isLegacyMetricName(name)) this.#changing--
    for (const scheme of CHANGING_SCHEMES) {
      const key = scheme + ' ' + exposedName(name, scheme)
      const names = this.#claims.get(key) as Map<string, number>
      const count = (names.get(name) as number) - 1
      if (count > 0) {
        names.set(name, count)
      } else {
        names.delete(name)
        if (names.size === 0) this.#claims.delete(key)
      }
    }
  }

  /**
   * A name other than `name` that some scheme shows as `name`'s form there plus `suffix`, and that
   * `counts` accepts (given how many holders claim it; by default any). Undefined when none.
   */
  rival (name: string, suffix = '', counts: (other: string, holders: number) => boolean = () => true): Rival | undefined {
    for (const scheme of CHANGING_SCHEMES) {
      const exposed = exposedName(name, scheme) + suffix
      const names = this.#claims.get(scheme + ' ' + exposed)
      if (names === undefined) continue
      for (const [other, holders] of names) {
        if (other !== name && counts(other, holders)) return { name: other, scheme, exposed }
      }
    }
    return undefined
  }

  /** The names in use that `scheme` shows as `exposed`, with their holder counts; undefined for none. */
  shownAs (scheme: EscapingScheme, exposed: string): ReadonlyMap<string, number> | undefined {
    return this.#claims.get(scheme + ' ' + exposed)
  }

  /** Forgets every name. */
  clear (): void {
    this.#claims.clear()
    this.#changing = 0
  }
}

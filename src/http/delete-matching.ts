import { ParseError } from '../errors.js'
import { matchesAnySelector, parseSelector } from '../groups/matchers.js'
import type { LabelMatcher } from '../groups/matchers.js'

/**
 * The selectors of `DELETE /api/v1/metrics?match[]=…`, read from a request URL and from a
 * form-encoded body (`form`), as Prometheus's admin API takes them; throws a ParseError when
 * there is none or one does not parse.
 */
export function selectorsOf (url: string, form = ''): LabelMatcher[][] {
  const query = url.indexOf('?')
  const texts = new URLSearchParams(query === -1 ? '' : url.slice(query + 1)).getAll('match[]')
  texts.push(...new URLSearchParams(form).getAll('match[]'))
  if (texts.length === 0) throw new ParseError('no match[] parameter: name the groups to delete with a selector such as match[]={job="backup"}')
  return texts.map(parseSelector)
}

/** The groups whose labels (`job` included) any of the selectors selects, in their order. */
export function selectedGroups<G extends { labels: Readonly<Record<string, string>> }> (groups: Iterable<G>, selectors: readonly (readonly LabelMatcher[])[]): G[] {
  const selected: G[] = []
  for (const group of groups) {
    if (matchesAnySelector(group.labels, selectors)) selected.push(group)
  }
  return selected
}

/** Whether a Content-Type is a form (`application/x-www-form-urlencoded`), whose body holds more `match[]`. */
export function isForm (contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded'
}

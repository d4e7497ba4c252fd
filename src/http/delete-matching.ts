import { ParseError } from '../errors.js'
import { parseSelector, selectsGroup } from '../groups/matchers.js'
import type { GroupingKey } from '../groups/grouping-key.js'
import type { LabelMatcher } from '../groups/matchers.js'

/**
 * The selectors of `DELETE /api/v1/metrics?match[]=…`, read from a request URL; throws a
 * ParseError when there is none or one does not parse.
 */
export function selectorsOf (url: string): LabelMatcher[][] {
  const query = url.indexOf('?')
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1))
  const texts = params.getAll('match[]')
  if (texts.length === 0) throw new ParseError('no match[] parameter: name the groups to delete with a selector such as match[]={job="backup"}')
  return texts.map(parseSelector)
}

/** The grouping keys, in the hook's shape, of the groups that any of the selectors selects. */
export function selectedKeys (groups: Iterable<{ labels: Readonly<Record<string, string>> }>, selectors: readonly (readonly LabelMatcher[])[]): Array<Required<GroupingKey>> {
  const keys: Array<Required<GroupingKey>> = []
  for (const group of groups) {
    const { job, ...labels } = group.labels
    // Every stored group has a job: a push without one is refused at the door.
    const key = { job: job as string, labels }
    if (selectsGroup(key, selectors)) keys.push(key)
  }
  return keys
}

import { parseText } from '../../src/exposition/parse-text.js'
import type { MetricStore } from '../../src/store/store.js'

/** Pushes a text body to a group of the store at a given time (seconds). */
export async function pushText (store: MetricStore, labels: Record<string, string>, text: string, options: { replace?: boolean, at?: number } = {}): Promise<void> {
  await store.push({ labels, families: parseText(text), replace: options.replace ?? true, timeNs: BigInt(options.at ?? 1) * 1_000_000_000n })
}

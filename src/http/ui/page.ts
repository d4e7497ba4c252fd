/** What the status page's HTML is built from. */
export interface PageParts {
  /** Where the gateway is mounted, as the browser sees it (`''` at the root). */
  mount: string
  /** Whether the admin API is served (then the page offers to wipe and to delete by filter). */
  adminApi: boolean
  /** The path and query of the script, relative to the mount point. */
  script: string
  /** The path and query of the stylesheet, relative to the mount point. */
  style: string
  /** The path and query of the icon, relative to the mount point. */
  icon: string
}

/** The status page's HTML: no inline script or style, so that it works under `default-src 'self'`. */
export function pageHtml (parts: PageParts): string {
  const mount = escapeHtml(parts.mount)
  return `<!doctype html>
<html lang="en" data-base="${mount}" data-admin="${String(parts.adminApi)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pushgateway</title>
<link rel="icon" href="${mount}${escapeHtml(parts.icon)}" type="image/svg+xml">
<link rel="stylesheet" href="${mount}${escapeHtml(parts.style)}">
<script src="${mount}${escapeHtml(parts.script)}" defer></script>
</head>
<body>
<header>
<h1>Pushgateway</h1>
<nav role="tablist" aria-label="Views">
<button type="button" role="tab" id="tab-metrics" aria-controls="metrics-tab" aria-selected="true">Metrics</button>
<button type="button" role="tab" id="tab-status" aria-controls="status-tab" aria-selected="false" tabindex="-1">Status</button>
</nav>
</header>
<main>
<section id="metrics-tab" role="tabpanel" aria-labelledby="tab-metrics">
<div class="toolbar">
<label for="filter">Filter</label>
<input id="filter" type="search" placeholder="grouping labels or metric names" autocomplete="off" spellcheck="false">
<span id="count" aria-live="polite"></span>
<label><input id="auto-refresh" type="checkbox" checked> Auto-refresh every 10 s</label>
<button type="button" id="refresh">Refresh now</button>
<button type="button" id="delete-matching" class="danger" hidden>Delete the matching groups</button>
<button type="button" id="wipe" class="danger" hidden>Delete All Groups</button>
</div>
<p id="message" class="message" role="status" hidden></p>
<ol id="groups" aria-label="Groups" aria-busy="true"></ol>
<button type="button" id="more" hidden>Show more</button>
</section>
<section id="status-tab" role="tabpanel" aria-labelledby="tab-status" hidden>
<div id="status-body"><p>Loading…</p></div>
</section>
</main>
</body>
</html>
`
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** The status page's stylesheet: light and dark by `prefers-color-scheme`, no web fonts, no images. */
export const STATUS_STYLE = `:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --fg: #1d2330; --muted: #5b6474; --card: #ffffff; --line: #d8dde5;
  --badge: #e7eefc; --badge-fg: #1f3f8a; --accent: #2458d6; --bad: #c62828; --bad-bg: #fdecea;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --fg: #e3e7ee; --muted: #9aa4b5; --card: #1b2029; --line: #303846;
    --badge: #23314f; --badge-fg: #c6d6ff; --accent: #7aa2ff; --bad: #ff6b6b; --bad-bg: #3a1d1d;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.15rem; margin: 0; }
h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
h3 { font-size: .95rem; margin: 0 0 .3rem; font-family: ui-monospace, monospace; }
main { padding: 1rem 1.2rem; max-width: 1200px; margin: 0 auto; }
button { font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line); border-radius: 4px; padding: .25rem .7rem; cursor: pointer; }
button:hover { border-color: var(--accent); }
button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button.danger, button.delete { color: var(--bad); border-color: var(--bad); }
[role="tab"] { border: none; border-bottom: 2px solid transparent; border-radius: 0; background: none; }
[role="tab"][aria-selected="true"] { border-bottom-color: var(--accent); font-weight: 600; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem 1rem; margin-bottom: .8rem; }
.toolbar input[type="search"] { min-width: 22rem; padding: .3rem .5rem; font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line); border-radius: 4px; }
#count { color: var(--muted); }
.message { padding: .5rem .8rem; border-radius: 4px; background: var(--badge); color: var(--badge-fg); }
.message.bad { background: var(--bad-bg); color: var(--bad); }
ol#groups { list-style: none; padding: 0; margin: 0; }
.group, .empty { background: var(--card); border: 1px solid var(--line); border-radius: 6px; margin-bottom: .6rem; padding: .6rem .8rem; }
.group.failed { border-left: 4px solid var(--bad); }
.head { display: flex; align-items: center; gap: .6rem; flex-wrap: wrap; }
.head .delete { margin-left: auto; }
.toggle { width: 2rem; padding: .15rem 0; }
.badges { display: inline-flex; flex-wrap: wrap; gap: .3rem; }
.badge { background: var(--badge); color: var(--badge-fg); border-radius: 3px; padding: .05rem .45rem; font-family: ui-monospace, monospace; font-size: .85rem; }
.badge.small { font-size: .78rem; }
.pill { background: var(--bad); color: #fff; border-radius: 999px; padding: .05rem .6rem; font-size: .8rem; font-weight: 600; }
.times { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; margin-top: .35rem; color: var(--muted); font-size: .85rem; }
.body { margin-top: .6rem; border-top: 1px solid var(--line); padding-top: .6rem; }
.family { margin-bottom: 1rem; }
.family dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: 0 0 .4rem; font-size: .85rem; }
.family dt { color: var(--muted); }
.family dd { margin: 0; }
table { border-collapse: collapse; }
table.series { width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { font-family: ui-monospace, monospace; }
table.inner th, table.inner td { padding: .05rem .5rem; border: none; }
#more { margin-top: .4rem; }
#status-body table th { font-weight: 500; color: var(--muted); }
`

/** The status page's icon (so that browsers do not ask for `/favicon.ico` outside the mount point). */
export const STATUS_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#e6522c"/><path d="M4 11V5h3.2a2 2 0 0 1 0 4H4" fill="none" stroke="#fff" stroke-width="1.6"/></svg>\n'

import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** A rendered page or fragment: escaped HTML (hono/html escapes every interpolated value). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f4f5f7;color:#1f2328}main{max-width:26rem;margin:8vh auto;padding:2rem;background:#fff;
border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input{width:100%;padding:.6rem .7rem;font:inherit;
border:1px solid #c4c8ce;border-radius:8px}input:focus{outline:2px solid #2563eb;outline-offset:1px}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:8px;border:1px solid #2563eb;
background:#2563eb;color:#fff;cursor:pointer;margin-top:1.25rem}button.secondary{background:#fff;color:#2563eb}
.error{background:#fdecec;color:#8a1c1c;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.muted{color:#59636e;font-size:.9rem}ul{padding-left:1.2rem}.actions{display:flex;gap:.75rem;flex-wrap:wrap}`

/**
 * Every page: plain server-rendered HTML, no external fonts or scripts. Tagged templates rather than JSX: the
 * JSX runtime cost 5 KiB of the Worker's gzip budget for ten small pages.
 */
export function Layout(props: { title: string; children: Html | Html[]; head?: Html | undefined }): Html {
  return html`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">\
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">\
<title>${props.title}</title><style>${raw(STYLE)}</style>${props.head}</head>\
<body><main>${props.children}</main></body></html>`
}

/** A hidden form field. */
export const hidden = (name: string, value: string): Html => html`<input type="hidden" name="${name}" value="${value}"/>`

/** A page that only says what went wrong (an untrusted client or redirect URI, a denied user). */
export function MessagePage(props: { title: string; message: string }): Html {
  return Layout({ title: props.title, children: html`<h1>${props.title}</h1><p>${props.message}</p>` })
}

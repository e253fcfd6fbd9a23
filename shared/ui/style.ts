/** The pages' one stylesheet, served with its content hash in the URL so browsers may keep it for a year. */
import { createHash } from 'node:crypto';

export const STYLESHEET = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--panel:#f6f8fa;--link:#0550ae;--focus:#bf3989;
--ok:#1a7f37;--ok-bg:#dafbe1;--busy:#7d4e00;--busy-bg:#fff8c5;--bad:#b3261e;--bad-bg:#ffebe9;--idle:#57606a;--idle-bg:#eaeef2}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--line:#30363d;--panel:#161b22;
--link:#79c0ff;--focus:#ff7eb6;
--ok:#7ee787;--ok-bg:#12261e;--busy:#e3b341;--busy-bg:#272115;--bad:#ff9492;--bad-bg:#2d1517;--idle:#9da7b3;--idle-bg:#21262d}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;padding:.5rem 1rem;background:var(--bg)}
.skip:focus{left:.5rem;z-index:1}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;
border-bottom:1px solid var(--line);background:var(--panel)}
header nav ul{display:flex;gap:1rem;margin:0;padding:0;list-style:none}
header .who{margin-left:auto;color:var(--muted);font-size:.9rem}
main{padding:1rem;max-width:90rem;margin:0 auto}
h1{font-size:1.5rem;margin:.25rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.5rem .75rem;background:var(--panel)}
th,td{padding:.4rem .75rem;border-top:1px solid var(--line);text-align:left;vertical-align:top}
thead th{white-space:nowrap;background:var(--panel)}
td.msg{min-width:14rem;overflow-wrap:anywhere}
td time,td ul.plain li,.nowrap{white-space:nowrap}
th[scope=row]{white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
td code{white-space:nowrap}
td.msg code,dd code{white-space:normal;overflow-wrap:anywhere}
.state{display:inline-block;white-space:nowrap;padding:0 .5rem;border-radius:999px;font-weight:600;border:1px solid currentColor}
.state.ok{color:var(--ok);background:var(--ok-bg)}.state.busy{color:var(--busy);background:var(--busy-bg)}
.state.bad{color:var(--bad);background:var(--bad-bg)}.state.idle{color:var(--idle);background:var(--idle-bg)}
.muted{color:var(--muted)}
ul.plain{margin:0;padding:0;list-style:none}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem 1.25rem;align-items:end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;gap:.2rem;font-size:.9rem}
form.filters label.check{flex-direction:row;gap:.4rem;align-items:center}
select,button,input{font:inherit}
button{padding:.3rem .9rem}
.pager{display:flex;justify-content:flex-end;gap:1rem}
.notice{padding:.75rem 1rem;border:1px solid var(--line);border-left:4px solid var(--busy);background:var(--panel)}
@media (max-width:40rem){main{padding:.5rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}th,td{padding:.35rem .5rem}}
`.trim();

/** The first 16 hex digits of the stylesheet's SHA-256: a new stylesheet is a new URL. */
export const STYLESHEET_VERSION = createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 16);

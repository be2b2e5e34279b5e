"""The page shell of the corpus dashboard."""

from __future__ import annotations

from .. import __version__
from .charts import esc

_CSS = """
:root{--fg:#1b1f24;--bg:#fff;--muted:#5c6570;--line:#d8dde3;--accent:#0b57d0}
@media (prefers-color-scheme: dark){:root{--fg:#e6e9ed;--bg:#14171a;--muted:#9aa4ae;--line:#333b44;--accent:#8ab4f8}}
body{font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:0 16px 40px}
header{border-bottom:1px solid var(--line);margin-bottom:12px}nav a{margin-right:14px}a{color:var(--accent)}
h1{font-size:1.5rem;margin:16px 0 4px}h2{font-size:1.15rem;margin:24px 0 8px}.muted,.meta{color:var(--muted)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto}.chart text{font-size:12px;fill:var(--fg)}.chart .ax{fill:var(--muted)}.chart .grid{stroke:var(--line)}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:end;margin:8px 0 12px}
form.filters label{display:flex;flex-direction:column;font-size:13px;color:var(--muted)}
input,select,button{font:inherit}.stats{display:flex;gap:28px;list-style:none;padding:0}.stats b{display:block;font-size:1.4rem}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}.pair iframe{width:100%;height:80vh;border:1px solid var(--line)}
.pager a{margin-right:10px}
form.filters label>input,form.filters label>select,form.filters button{height:2.1rem;box-sizing:border-box;margin-top:2px}
form.filters button{padding:0 14px}.stats{flex-wrap:wrap;gap:8px 28px}
.back{display:flex;flex-wrap:wrap;gap:4px 14px;padding:6px 0 8px;border-bottom:1px solid var(--line);margin-bottom:10px}
@media (max-width:40rem){
 body{padding:0 10px 32px}table{display:block;overflow-x:auto}th,td{padding:4px 5px}
 section{overflow-x:auto}svg.chart{min-width:520px}.pair{grid-template-columns:1fr}
 form.filters label{flex:1 1 40%}form.filters label>input,form.filters label>select{width:100%}
}
"""

PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; "
             "base-uri 'none'; frame-ancestors 'self'")


def render_page(title: str, body: str, nav: dict[str, str]) -> str:
    links = "".join(f'<a href="{esc(href)}">{esc(name)}</a>' for name, href in nav.items())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"referrer\" content=\"no-referrer\">\n<title>{esc(title)} – spinscope corpus</title>\n"
            f"<link rel=\"icon\" href=\"data:,\">\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header><nav aria-label=\"Corpus\">{links}</nav><h1>{esc(title)}</h1></header>\n{body}\n"
            f"<footer class=\"muted\"><p>spinscope {esc(__version__)}. Densities are technique spans per 1,000 words. "
            "Confidence is the model's estimate, not proof.</p></footer>\n</body>\n</html>\n")



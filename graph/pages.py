"""The two plain pages beside the chat: `/shared`, where a user watches and downloads the
projects others shared with them (read-only: nothing there runs a turn), and `/admin`, the
users with their roles and the audit log, for administrators. Server-rendered HTML from
data, every value escaped; no scripts, so the app's CSP holds."""

from __future__ import annotations

import datetime
import html
from typing import Any

from tools import catalog

EXPORT_FORMATS = ("mp4", "gif", "webm")

STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;background:#1f1f1f;color:#eee;margin:2rem auto;"
    "max-width:960px}a{color:#f48fb1}video{max-width:100%;border-radius:8px}table{border-collapse:collapse;"
    "width:100%;font-size:.85rem}td,th{border-bottom:1px solid #333;padding:.3rem;text-align:left}"
    "section{margin-bottom:2rem}"
)


def language(accept: str) -> str:
    """The page language from the browser's Accept-Language: zh first, else en."""
    return "zh" if accept.strip().lower().startswith("zh") else "en"


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def shared_page(lang: str, name: str, projects: list[dict[str, Any]]) -> str:
    """The projects shared with `name`: each {index, owner, title, version, video (a URL or
    None)}."""
    t = lambda key, **kw: html.escape(catalog.text(lang, f"ui.{key}", **kw))  # noqa: E731
    if not projects:
        return _page(lang, catalog.text(lang, "ui.shared_title"), f"<p>{t('shared_none', name=name)}</p>")
    parts = []
    for p in projects:
        head = t("shared_by", title=p["title"], version=p["version"], owner=p["owner"])
        if p.get("video"):
            links = " ".join(
                f'<a href="/shared/{p["index"]}/export/{fmt}">{fmt.upper()}</a>' for fmt in EXPORT_FORMATS
            )
            show = (
                f'<video controls preload="metadata" src="{html.escape(p["video"])}"></video>'
                f"<p>{t('shared_export')} {links}</p>"
            )
        else:
            show = f"<p>{t('shared_no_render')}</p>"
        parts.append(f'<section id="project-{p["index"]}"><h2>{head}</h2>{show}</section>')
    return _page(lang, catalog.text(lang, "ui.shared_title"), "".join(parts))


def admin_page(lang: str, users: list[tuple[str, str]], entries: list[dict[str, Any]]) -> str:
    """Users with their roles, and audit entries (newest first)."""
    t = lambda key: html.escape(catalog.text(lang, f"ui.{key}"))  # noqa: E731
    rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{html.escape(r)}</td></tr>" for n, r in users)
    fields = ("at", "user", "address", "action", "thread", "version", "outcome", "detail")
    log = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_when(e[f]) if f == 'at' else str(e.get(f) or ''))}</td>" for f in fields
        )
        + "</tr>"
        for e in entries
    )
    head = "".join(f"<th>{f}</th>" for f in fields)
    body = (
        f'<section id="users"><h2>{t("admin_users")}</h2><table>{rows}</table></section>'
        f'<section id="audit"><h2>{t("admin_audit")}</h2><table><tr>{head}</tr>{log}</table></section>'
    )
    return _page(lang, catalog.text(lang, "ui.admin_title"), body)


def _when(at: Any) -> str:
    return datetime.datetime.fromtimestamp(float(at), tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")

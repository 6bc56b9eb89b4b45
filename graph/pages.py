"""The two plain pages beside the chat: `/shared`, where a user watches and downloads the
projects others shared with them (read-only: nothing there runs a turn), and `/admin`, the
users with their roles and the audit log, for administrators. Server-rendered HTML from
data, every value escaped; no scripts, so the app's CSP holds."""

from __future__ import annotations

import datetime
import html
from typing import Any

from tools import catalog
from tools.users import DEFAULT_ROLE, ROLES

EXPORT_FORMATS = ("mp4", "gif", "webm")

STYLE = (
    "form{display:inline-flex;gap:.4rem;align-items:center;margin:.2rem 0}input,select,button{font:inherit}"
    "#notice{background:#333;padding:.6rem;border-radius:6px}"
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;background:#1f1f1f;color:#eee;margin:2rem auto;"
    "max-width:960px}a{color:#f48fb1}video{max-width:100%;border-radius:8px}table{border-collapse:collapse;"
    "width:100%;font-size:.85rem}td,th{border-bottom:1px solid #333;padding:.3rem;text-align:left}"
    "section{margin-bottom:2rem}"
)


def language(accept: str) -> str:
    """The page language from the browser's Accept-Language: zh first, else en."""
    return "zh" if accept.strip().lower().startswith("zh") else "en"


def _page(lang: str, title: str, body: str, notice: str | None = None) -> str:
    back = html.escape(catalog.text(lang, "ui.back_to_chat"))
    said = f'<p id="notice" role="status">{html.escape(notice)}</p>' if notice else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<style>{STYLE}</style></head><body><p><a href="/">← {back}</a></p><h1>{html.escape(title)}</h1>'
        f"{said}{body}</body></html>"
    )


def _form(action: str, token: str, fields: str, button: str) -> str:
    """A POST form back to this app, with its anti-forgery token."""
    return (
        f'<form method="post" action="{html.escape(action)}">'
        f'<input type="hidden" name="csrf" value="{html.escape(token)}">{fields}'
        f'<button type="submit">{html.escape(button)}</button></form>'
    )


def _roles(selected: str) -> str:
    options = "".join(
        f'<option value="{r}"{" selected" if r == selected else ""}>{r}</option>' for r in ROLES
    )
    return f'<select name="role">{options}</select>'


def shared_page(
    lang: str,
    name: str,
    projects: list[dict[str, Any]],
    yours: list[dict[str, Any]] | None = None,
    token: str = "",
    notice: str | None = None,
) -> str:
    """The projects shared with `name` (each {index, owner, title, version, video: a URL or
    None}), and the shares `name` made (each {thread, title, viewer}) with a form to end each."""
    t = lambda key, **kw: html.escape(catalog.text(lang, f"ui.{key}", **kw))  # noqa: E731
    parts = [] if projects else [f"<p>{t('shared_none', name=name)}</p>"]
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
    if yours:
        rows = "".join(
            f"<li>{t('shared_with_viewer', title=y['title'], viewer=y['viewer'])} "
            + _form(
                "/shared/unshare",
                token,
                f'<input type="hidden" name="thread" value="{html.escape(y["thread"])}">'
                f'<input type="hidden" name="viewer" value="{html.escape(y["viewer"])}">',
                catalog.text(lang, "ui.shared_stop"),
            )
            + "</li>"
            for y in yours
        )
        parts.append(f'<section id="yours"><h2>{t("shared_yours")}</h2><ul>{rows}</ul></section>')
    return _page(lang, catalog.text(lang, "ui.shared_title"), "".join(parts), notice)


def admin_page(
    lang: str,
    users: list[tuple[str, str]],
    entries: list[dict[str, Any]],
    token: str = "",
    notice: str | None = None,
) -> str:
    """Users with their roles, forms to add, re-role and delete them, and audit entries
    (newest first)."""
    t = lambda key: html.escape(catalog.text(lang, f"ui.{key}"))  # noqa: E731
    rows = "".join(
        f'<tr id="user-{html.escape(n)}"><td>{html.escape(n)}</td><td>{html.escape(r)}</td><td>'
        + _form(
            "/admin/users/role",
            token,
            f'<input type="hidden" name="name" value="{html.escape(n)}">{_roles(r)}',
            catalog.text(lang, "ui.admin_change"),
        )
        + "</td><td>"
        + _form(
            "/admin/users/delete",
            token,
            f'<input type="hidden" name="name" value="{html.escape(n)}">'
            f'<label><input type="checkbox" name="confirm" value="yes" required> {t("admin_confirm")}</label>',
            catalog.text(lang, "ui.admin_delete"),
        )
        + "</td></tr>"
        for n, r in users
    )
    add = _form(
        "/admin/users/add",
        token,
        f'<label>{t("admin_name")} <input name="name" required minlength="2" maxlength="64"></label>'
        f'<label>{t("admin_password")} <input type="password" name="password" required minlength="8"'
        f' autocomplete="new-password"></label><label>{t("admin_role")} {_roles(DEFAULT_ROLE)}</label>',
        catalog.text(lang, "ui.admin_save"),
    )
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
        f'<section id="add-user"><h2>{t("admin_add")}</h2>{add}</section>'
        f'<section id="audit"><h2>{t("admin_audit")}</h2><table><tr>{head}</tr>{log}</table></section>'
    )
    return _page(lang, catalog.text(lang, "ui.admin_title"), body, notice)


def _when(at: Any) -> str:
    return datetime.datetime.fromtimestamp(float(at), tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")

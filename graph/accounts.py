"""Managing chat users, the same from the CLI (`cinechat users …`) and from the admin page:
add or reset, change a role, delete with all their data. Each change leaves one audit entry
naming who made it (`by`) and from where. The last administrator cannot be demoted or
deleted, so the app is never left without one."""

from __future__ import annotations

from pathlib import Path

from graph.media_gc import release, thread_media
from tools import audit, users
from tools.assets import AssetStore
from tools.users import UserError


class LastAdmin(UserError):
    """A change that would leave no administrator."""


def _keeps_an_admin(db: users.Location, name: str, role: str | None) -> None:
    admins = [n for n, r in users.all_users(db) if r == "admin"]
    if admins == [name] and role != "admin":
        raise LastAdmin(f"{name} is the only admin", "last_admin")


def save_user(
    db: users.Location,
    name: str,
    password: str,
    role: str | None = None,
    by: str | None = None,
    address: str | None = "cli",
) -> None:
    """Add a user, or reset one's password (and role, when given). Audited."""
    if role is not None and users.role_of(db, name) == "admin":
        _keeps_an_admin(db, name, role)
    users.add_user(db, name, password, role)
    audit.record(
        db, "user_added", user=name, address=address, detail={"role": role or "kept", "by": by or "cli"}
    )


def change_role(
    db: users.Location, name: str, role: str, by: str | None = None, address: str | None = "cli"
) -> bool:
    """Give a user a role; whether the user exists. Audited."""
    if role not in users.ROLES:
        raise UserError(f"roles are {', '.join(users.ROLES)}", "bad_role")
    _keeps_an_admin(db, name, role)
    if not users.set_role(db, name, role):
        return False
    audit.record(db, "role_changed", user=name, address=address, detail={"role": role, "by": by or "cli"})
    return True


def delete_user_data(
    db: users.Location,
    name: str,
    history: str | None,
    media_dir: str | Path,
    by: str | None = None,
    address: str | None = "cli",
) -> dict[str, int]:
    """Everything of a user: their projects' whole version histories (in the checkpoints
    `history` names, None for the configured ones) and the media no other project uses, their
    chats, their login and every token they hold; returns what was deleted. Audited."""
    from graph import open_checkpointer
    from graph.chat_store import delete_chats_of

    if users.role_of(db, name) == "admin":
        _keeps_an_admin(db, name, None)
    saver = open_checkpointer(history)
    try:
        threads = {c.config["configurable"]["thread_id"] for c in saver.list(None)}
        projects = sorted(t for t in threads if t.startswith(f"{name}:"))
        media: set[str] = set()
        for thread in projects:
            media |= thread_media(saver, thread)
            saver.delete_thread(thread)
        released = release(saver, media, AssetStore(media_dir), set(projects))
    finally:
        close = getattr(getattr(saver, "conn", None), "close", None)
        if callable(close):
            close()
    chats = delete_chats_of(name)
    found = users.delete_user(db, name)
    audit.revoke(db, name)
    done = {"projects": len(projects), "chats": chats, "login": int(found), "media_deleted": len(released)}
    audit.record(db, "user_deleted", user=name, address=address, detail={**done, "by": by or "cli"})
    return done

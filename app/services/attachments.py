"""Evidence files: type checked by content, stored under instance/ with server-chosen names."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, Complaint, DispatchEntry, Project, User
from app.scoping import scope_dispatch_entries, visible_complaints, visible_projects
from app.services.errors import InvalidInput, NotFound

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_KINDS = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
MAX_ZIP_MEMBERS = 2000


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the user's machine called it, and its bytes."""

    filename: str
    stream: BinaryIO


def _sniff_ooxml(data: bytes) -> tuple[str, str] | None:
    """Word/Excel/PowerPoint files are zips; refuse macros and archive tricks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) > MAX_ZIP_MEMBERS:
                return None
            if "[Content_Types].xml" not in names:
                return None
            if any(n.endswith("vbaProject.bin") for n in names):
                raise InvalidInput("file", "不接受含宏的 Office 文件。")
            total = sum(i.file_size for i in archive.infolist())
            if total > 20 * len(data) + 10 * 1024 * 1024:
                raise InvalidInput("file", "文件压缩比异常，已拒绝。")
            for prefix, kind in OOXML_KINDS.items():
                if any(n.startswith(prefix) for n in names):
                    return kind
    except zipfile.BadZipFile:
        return None
    return None


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) judged from the bytes themselves, never from the name."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(OLE2_MAGIC):
        return "application/x-ole-storage", ".doc"
    if data.startswith(b"PK\x03\x04"):
        kind = _sniff_ooxml(data)
        if kind:
            return kind
    raise InvalidInput("file", "只接受 PDF、图片（PNG、JPEG）和 Office 文档（Word、Excel）。")


def display_name(filename: str) -> str:
    """The last path component, for display only: the stored name is always ours."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "附件"


def storage_root() -> Path:
    """instance/attachments (or ATTACHMENT_DIR)."""
    configured = current_app.config.get("ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def store(
    user: User, upload: Upload, owner_type: str, owner_id: int, project_id: int | None
) -> Attachment:
    """Check and save one file; the row joins the caller's transaction."""
    limit = int(current_app.config.get("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))
    data = upload.stream.read(limit + 1)
    if not data:
        raise InvalidInput("file", "上传的文件是空的。")
    if len(data) > limit:
        raise InvalidInput("file", f"文件超过 {limit // (1024 * 1024)} MB 的上限。")
    content_type, extension = sniff(data)
    stored_name = uuid.uuid4().hex + extension
    root = storage_root()
    target = root / stored_name[:2] / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    row = Attachment(
        owner_type=owner_type,
        owner_id=owner_id,
        project_id=project_id,
        original_name=display_name(upload.filename),
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
    )
    db.session.add(row)
    return row


def discard(rows: list[Attachment]) -> None:
    """Remove the files of rows whose transaction failed, so no orphan stays on disk."""
    root = storage_root()
    for row in rows:
        (root / row.stored_name[:2] / row.stored_name).unlink(missing_ok=True)


def open_for(user: User, attachment_id: int) -> tuple[Attachment, Path]:
    """The attachment and its file, if the user may see the record it belongs to."""
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("没有找到该附件。")
    if row.owner_type == "complaint":
        # A complaint may have no project yet; its own scope (district, linked project) decides.
        visible = db.session.scalar(
            visible_complaints(user)
            .where(Complaint.id == row.owner_id)
            .with_only_columns(Complaint.id)
        )
    elif row.owner_type == "dispatch_entry":
        # 每月调度 evidence is seen by whoever may see the entry (its lead department, district).
        visible = db.session.scalar(
            scope_dispatch_entries(select(DispatchEntry.id), user).where(
                DispatchEntry.id == row.owner_id
            )
        )
    elif row.project_id is None:
        raise NotFound("没有找到该附件。")
    else:
        visible = db.session.scalar(
            visible_projects(user).where(Project.id == row.project_id).with_only_columns(Project.id)
        )
    if visible is None:
        raise NotFound("没有找到该附件。")
    path = storage_root() / row.stored_name[:2] / row.stored_name
    if not path.is_file():
        raise NotFound("附件文件已丢失，请联系管理员。")
    return row, path


def for_owners(owner_type: str, owner_ids: list[int]) -> dict[int, list[Attachment]]:
    """Attachments of many owners in one query."""
    if not owner_ids:
        return {}
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id.in_(owner_ids))
        .order_by(Attachment.id)
    ).all()
    grouped: dict[int, list[Attachment]] = {}
    for row in rows:
        grouped.setdefault(row.owner_id, []).append(row)
    return grouped

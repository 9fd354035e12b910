"""The access audit log (访问审计): who did what, when, from where. Append-only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class AuditAction(StrEnum):
    sign_in = "sign_in"  # 登录
    sign_in_failed = "sign_in_failed"  # 登录失败
    sign_in_locked = "sign_in_locked"  # 登录被锁定 (too many failures)
    sign_out = "sign_out"  # 退出
    password_changed = "password_changed"  # 修改密码
    password_reset = "password_reset"  # 重置密码 (by an administrator)
    user_created = "user_created"  # 新建用户
    user_disabled = "user_disabled"  # 停用用户
    user_changed = "user_changed"  # 角色或单位变更
    reveal = "reveal"  # 查看个人信息 (a reporter's name, phone ...)
    export = "export"  # 导出
    mode_changed = "mode_changed"  # 平战转换
    forbidden = "forbidden"  # 越权访问被拒 (403)


class AuditEntry(Base):
    """One access worth knowing about. A trigger refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, 24))
    # No foreign key: an entry outlives whatever it names, and records attempts by unknown logins.
    user_id: Mapped[int | None] = mapped_column(Integer)
    login: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(64))  # the client's IP address
    target: Mapped[str | None] = mapped_column(String(200))  # "event 12", "user zhs", a path
    details: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        Index("audit_log_at_idx", "at"),
        Index("audit_log_user_at_idx", "user_id", "at"),
        Index("audit_log_action_at_idx", "action", "at"),
    )

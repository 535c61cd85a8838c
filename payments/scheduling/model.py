from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, LargeBinary, String, Text, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from payments.db import Base, BigIntPK, UTCDateTime


class SchedulerLease(Base):
    """Who may act as the scheduler, until when. Several schedulers may run; one holds this."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(Base):
    """One execution of a scheduled job: when, by whom, how it ended, what it counted."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    holder: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20))  # running, succeeded, failed, skipped
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)  # a failure's traceback, or why it was skipped


class ApschedulerJob(Base):
    """APScheduler 3's own job store table, declared here so migrations own the schema."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)

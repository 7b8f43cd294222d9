"""Bring databases created by an earlier form of revision 0001 to the current 0001 schema.

Revision ID: 0002_legacy
Revises: 0001
Create Date: 2026-12-01

Revision 0001 was edited in place three times before it was frozen, so a database stamped
"0001" may lack tables, columns and an index that the current 0001 creates. This revision
looks at the live schema and adds only what is missing, so it is a no-op on a database the
current 0001 created. The definitions below are frozen copies of the current 0001 (not the
models): later schema changes belong in later revisions.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_legacy"
down_revision = "0001"
branch_labels = None
depends_on = None

# Column name -> type; all of them nullable, so adding them to a filled table is safe.
_PARTNER_COLUMNS = {
    "retention_images_days": sa.Integer,
    "retention_data_days": sa.Integer,
    "frame_ancestors": lambda: sa.String(length=1000),
}
# reviewer_id's foreign key is added separately (below), so the column itself has none here.
_VERIFICATION_COLUMNS = {
    "document_number_key": lambda: sa.String(length=100),
    "flow_started_at": sa.DateTime,
    "review_note": sa.Text,
    "reviewer_id": sa.Integer,
}


def _inspector() -> sa.engine.reflection.Inspector:
    # A fresh inspector every time: it caches what it reflected, and we change the schema.
    return sa.inspect(op.get_bind())


def _missing_columns(table: str, columns: dict) -> list[sa.Column]:  # type: ignore[type-arg]
    present = {c["name"] for c in _inspector().get_columns(table)}
    return [sa.Column(name, make_type(), nullable=True)
            for name, make_type in columns.items() if name not in present]


def _has_index(table: str, name: str) -> bool:
    return any(ix["name"] == name for ix in _inspector().get_indexes(table))


def _has_reviewer_fk() -> bool:
    return any(fk["constrained_columns"] == ["reviewer_id"] and fk["referred_table"] == "reviewers"
               for fk in _inspector().get_foreign_keys("verifications"))


def _add_partner_columns() -> None:
    for column in _missing_columns("partners", _PARTNER_COLUMNS):
        op.add_column("partners", column)


def _add_verification_columns() -> None:
    missing = _missing_columns("verifications", _VERIFICATION_COLUMNS)
    for column in missing:
        if column.name == "reviewer_id" and op.get_bind().dialect.name == "sqlite":
            # SQLite cannot add a constraint to an existing table without copying the table;
            # a column added with REFERENCES carries its foreign key and needs no copy.
            op.execute("ALTER TABLE verifications ADD COLUMN reviewer_id INTEGER REFERENCES reviewers (id)")
        else:
            op.add_column("verifications", column)
    if op.get_bind().dialect.name != "sqlite" and not _has_reviewer_fk():
        # The name PostgreSQL gives an unnamed foreign key, so both paths look alike.
        op.create_foreign_key("verifications_reviewer_id_fkey", "verifications", "reviewers",
                              ["reviewer_id"], ["id"])
    if not _has_index("verifications", "ix_verifications_partner_docnum"):
        op.create_index("ix_verifications_partner_docnum", "verifications",
                        ["partner_id", "document_number_key"], unique=False)


def _create_blocked_documents() -> None:
    op.create_table(
        "blocked_documents",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("document_number_key", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("partner_id", "document_number_key"),
    )


def _create_face_embeddings() -> None:
    op.create_table(
        "face_embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.ForeignKeyConstraint(["verification_id"], ["verifications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["verification_id"], ["verifications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


# table -> (how to create it, its indexes as (name, columns))
_TABLES = {
    "blocked_documents": (_create_blocked_documents, ()),
    "face_embeddings": (_create_face_embeddings, (
        ("ix_face_embeddings_partner_id", ["partner_id", "id"]),
        ("ix_face_embeddings_verification_id", ["verification_id"]),
    )),
    "audit_log": (_create_audit_log, (("ix_audit_verification", ["verification_id", "id"]),)),
}


def _add_missing_tables() -> None:
    for table, (create, indexes) in _TABLES.items():
        if not _inspector().has_table(table):
            create()
        for name, columns in indexes:
            if not _has_index(table, name):
                op.create_index(name, table, columns, unique=False)


def upgrade() -> None:
    _add_partner_columns()
    _add_verification_columns()
    _add_missing_tables()


def downgrade() -> None:
    # The schema this revision completes is exactly what revision 0001 creates today, so going
    # back to 0001 keeps it: dropping columns would lose data 0001's code reads.
    pass

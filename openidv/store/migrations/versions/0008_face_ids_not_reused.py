"""face descriptor ids are never reused (SQLite AUTOINCREMENT), so the in-memory duplicate
index can tell an erased descriptor from a new one by counting ids

Revision ID: 0008_face_ids_not_reused
Revises: 0007_reviewer_sessions
"""
from alembic import op


revision = '0008_face_ids_not_reused'
down_revision = '0007_reviewer_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL sequences never hand out an id twice; SQLite reuses the highest rowid after
    # it is deleted unless the table is AUTOINCREMENT.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('face_embeddings', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            batch_op.alter_column('id')


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('face_embeddings', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': False}) as batch_op:
            batch_op.alter_column('id')

"""reviewer sessions: a session generation (logout, password change and disabling end every
session) and the time a reviewer was disabled

Revision ID: 0007_reviewer_sessions
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_reviewer_sessions'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviewers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviewers', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('session_generation')

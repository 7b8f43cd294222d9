"""review console: the reviewer's decision and reason, queue assignment

Revision ID: 0005
Revises: 0004_compat
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004_compat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table('verifications') as batch:
        batch.add_column(sa.Column('review_decision', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('review_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('assigned_to', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('assigned_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key('fk_verifications_assigned_to', 'reviewers', ['assigned_to'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('verifications') as batch:
        batch.drop_constraint('fk_verifications_assigned_to', type_='foreignkey')
        batch.drop_column('assigned_at')
        batch.drop_column('assigned_to')
        batch.drop_column('review_reason')
        batch.drop_column('review_decision')
